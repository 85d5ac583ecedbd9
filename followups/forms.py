from django import forms
from django.utils import timezone

from followups.models import Channel, Direction


class ContactLogForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.INBOUND)
    occurred_at = forms.DateTimeField(
        label="When (your time zone)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    confirm_contamination = forms.BooleanField(
        required=False, widget=forms.HiddenInput, initial=False
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        super().__init__(*args, **kwargs)


class EmailSendForm(forms.Form):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 5}))
    confirm_contamination = forms.BooleanField(
        required=False, widget=forms.HiddenInput, initial=False
    )

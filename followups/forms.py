from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from followups.models import Channel, Direction, QualityTag
from followups.services import email_subject_validate
from hiring.validators import validate_plausible_instant


def parse_duration(value: str) -> int | None:
    """'7' (minutes), '7:30' (m:ss) or '1:07:30' (h:mm:ss) to seconds."""
    value = value.strip()
    if not value:
        return None
    parts = value.split(":")
    if not all(p.isdigit() for p in parts) or len(parts) > 3:
        raise ValidationError("Write the duration as minutes (7), m:ss (7:30) or h:mm:ss.")
    numbers = [int(p) for p in parts]
    if len(parts) == 1:
        return numbers[0] * 60
    if any(n >= 60 for n in numbers[1:]):
        raise ValidationError("Seconds and minutes after a colon must be below 60.")
    seconds = 0
    for n in numbers:
        seconds = seconds * 60 + n
    return seconds


#: The tags a person sets on a contact; the promise tags are set by promise tracking.
QUALITY_TAG_CHOICES = [(t.value, t.label) for t in QualityTag if not t.value.startswith("promise_")]


class ContactLogForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.INBOUND)
    occurred_at = forms.DateTimeField(
        validators=[validate_plausible_instant],
        label="When (your time zone)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration = forms.CharField(
        required=False,
        label="Duration",
        help_text="Calls: minutes, or m:ss.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "7:30", "size": 6}),
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    tags = forms.MultipleChoiceField(
        choices=QUALITY_TAG_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Quality",
    )
    promise = forms.CharField(
        required=False,
        max_length=300,
        label="Candidate promised",
        widget=forms.TextInput(attrs={"placeholder": "“I'll call you Monday with references”"}),
    )
    promise_due = forms.DateTimeField(
        required=False,
        label="Promise due (your time zone)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    confirm_contamination = forms.BooleanField(
        required=False, widget=forms.HiddenInput, initial=False
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        super().__init__(*args, **kwargs)

    def clean_duration(self) -> int | None:
        return parse_duration(self.cleaned_data["duration"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("promise") and not cleaned.get("promise_due"):
            self.add_error("promise_due", "When is the promise due?")
        if cleaned.get("promise_due") and not cleaned.get("promise"):
            self.add_error("promise", "What did the candidate promise?")
        return cleaned


class EmailSendForm(forms.Form):
    def __init__(self, *args, **kwargs):
        # On the application page beside the contact form, which has a confirm_contamination
        # field too: ids of its own.
        kwargs.setdefault("auto_id", "id_email_%s")
        super().__init__(*args, **kwargs)

    subject = forms.CharField(max_length=200, validators=[email_subject_validate])
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 5}))
    confirm_contamination = forms.BooleanField(
        required=False, widget=forms.HiddenInput, initial=False
    )


class ContactTagsForm(forms.Form):
    """Tag a contact already on the timeline (a captured email as much as a logged call)."""

    tags = forms.MultipleChoiceField(
        choices=QUALITY_TAG_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Quality",
    )

    def tags_with_kept(self, contact) -> list[str]:
        """The chosen tags plus the contact's promise tags, which this form does not show."""
        chosen = {value for value, _label in QUALITY_TAG_CHOICES}
        kept = [tag.tag for tag in contact.tags.all() if tag.tag not in chosen]
        return [*self.cleaned_data["tags"], *kept]

from django import forms

from hiring.validators import time_zone_choices


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label="Your time zone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()


class AnnounceForm(forms.Form):
    announced_at = forms.DateTimeField(
        label="Told the candidate at (your time zone)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    announced_by = forms.ModelChoiceField(queryset=None, label="Told by", empty_label=None)

    def __init__(self, *args, requisition, user, **kwargs):
        from django.contrib.auth import get_user_model
        from django.utils import timezone

        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault(
            "announced_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        kwargs["initial"].setdefault("announced_by", user.pk)
        super().__init__(*args, **kwargs)
        team_ids = {requisition.hiring_manager_id, user.pk}
        team_ids.update(requisition.recruiters.values_list("pk", flat=True))
        field = self.fields["announced_by"]
        field.queryset = get_user_model().objects.filter(pk__in=team_ids).order_by("first_name")
        field.label_from_instance = lambda u: u.get_full_name() or u.username

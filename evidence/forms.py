from django import forms

from evidence.models import PostHireOutcome, RaceEthnicity, Sex
from hiring.models import Pipeline, Requisition


class SelfIdForm(forms.Form):
    """The candidate's page: strict choices only, every question with "I decline to answer"."""

    sex = forms.ChoiceField(label="Sex", choices=Sex.choices, widget=forms.RadioSelect)
    race_ethnicity = forms.ChoiceField(
        label="Race/ethnicity", choices=RaceEthnicity.choices, widget=forms.RadioSelect
    )


class OutcomeForm(forms.ModelForm):
    employed_12m = forms.NullBooleanField(
        label="Still employed at 12 months",
        required=False,
        widget=forms.Select(
            choices=[("unknown", "Not known yet"), ("true", "Yes"), ("false", "No")]
        ),
    )

    class Meta:
        model = PostHireOutcome
        fields = ["quota_6m", "quota_12m", "ramp_months", "employed_12m"]


class AlternativeAssessmentForm(forms.Form):
    def __init__(self, *args, **kwargs):
        # Shown on the application page beside the move form, which has a "reason" too: ids of
        # its own, so labels and help texts point at the right field.
        kwargs.setdefault("auto_id", "id_alternative_%s")
        super().__init__(*args, **kwargs)

    reason = forms.CharField(
        label="Reason (accommodation request)",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the application. No silence test runs; the application is left "
        "out of the test's comparisons and the bias audit's selection rates.",
    )


class AuditScopeForm(forms.Form):
    """Which tests a bias audit covers (GET parameters; bad values are form errors)."""

    requisition = forms.ModelChoiceField(
        queryset=Requisition.objects.all(), required=False, empty_label="All requisitions"
    )
    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.all(), required=False, empty_label="All pipelines"
    )
    since = forms.DateField(
        required=False, label="Window closed from", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="to", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return cleaned

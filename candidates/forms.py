from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from candidates.models import RATING_MAX, RATING_MIN, SCORECARD_TRAITS, Recommendation, Scorecard
from candidates.normalize import normalize_email, normalize_phone
from hiring import policy
from hiring.models import TERMINAL_KINDS, Requisition, Stage
from hiring.validators import time_zone_choices

User = get_user_model()


def _split_lines(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", "\n").splitlines() if part.strip()]


class ApplicationCreateForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100, required=False)
    emails = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line; the first is the primary address.",
    )
    phones = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line. National numbers are read as the requisition's country.",
    )
    time_zone = forms.ChoiceField(
        required=False, label="Candidate's time zone", help_text="Optional."
    )
    linkedin_url = forms.URLField(required=False, label="LinkedIn URL", assume_scheme="https")
    source = forms.CharField(max_length=100, required=False, help_text="Referral, job board, …")
    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), empty_label=None)

    def __init__(self, *args, requisition: Requisition, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.requisition = requisition
        # Only the stages this user may put an application in (the service checks again).
        self.fields["stage"].queryset = (
            policy.stages_settable(user, requisition)
            .exclude(kind__in=TERMINAL_KINDS)
            .order_by("order")
        )
        self.fields["time_zone"].choices = [("", "Unknown"), *time_zone_choices()]
        self.fields["stage"].label_from_instance = lambda stage: stage.name
        if not self.is_bound:
            # A fresh form starts in its first field; a refused one focuses its error summary.
            self.fields["first_name"].widget.attrs["autofocus"] = True

    def clean_emails(self) -> list[str]:
        addresses, errors = [], []
        for raw in _split_lines(self.cleaned_data["emails"]):
            try:
                addresses.append(normalize_email(raw))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return list(dict.fromkeys(addresses))

    def clean_phones(self) -> list[str]:
        numbers, errors = [], []
        for raw in _split_lines(self.cleaned_data["phones"]):
            try:
                numbers.append(normalize_phone(raw, region=self.requisition.country))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return list(dict.fromkeys(numbers))

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("emails") and not cleaned.get("phones"):
            raise ValidationError(
                "Give at least one email address or phone number: follow-ups are matched on them."
            )
        return cleaned


class MoveStageForm(forms.Form):
    # No stage preselected: one click on Move must never move anyone (issue #15, defect 2).
    to_stage = forms.ModelChoiceField(
        queryset=Stage.objects.none(), label="Move to", empty_label="Choose a stage…"
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when moving back, rejecting, withdrawing, hiring or reopening.",
    )

    def __init__(self, *args, application, user, stages=None, **kwargs):
        """``stages``: the pipeline's stages in order, already loaded (the application page
        prefetches them): the choices then render without a query."""
        super().__init__(*args, **kwargs)
        field = self.fields["to_stage"]
        field.queryset = (
            Stage.objects.filter(pipeline_id=application.requisition.pipeline_id)
            .exclude(pk=application.stage_id)
            .order_by("order")
        )
        current = application.stage

        def label(stage) -> str:
            # The rule itself is the service's (stage_change_check); the label only says so.
            if policy.is_move_back(current, stage):
                return f"{stage.name} (back: needs a reason)"
            return stage.name

        field.label_from_instance = label
        # Offered: only the stages this user may set (hiring.policy), so a recruiter is not
        # shown Offer or Hired only to be refused. A posted stage outside them still reaches
        # the service, whose refusal says why (the one rule, checked again).
        if stages is None:
            settable = (
                policy.stages_settable(user, application.requisition)
                .exclude(pk=application.stage_id)
                .order_by("order")
            )
        else:
            settable = [
                s
                for s in stages
                if s.pk != application.stage_id
                and policy.may_set_stage(user, application.requisition, s)
            ]
        field.widget.choices = [("", field.empty_label), *((s.pk, label(s)) for s in settable)]


class InterviewRoundForm(forms.Form):
    title = forms.CharField(max_length=100, initial="Interview")
    scheduled_at = forms.DateTimeField(
        required=False,
        label="Scheduled at (your time zone)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    interviewers = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, requisition: Requisition, team=None, **kwargs):
        """``team``: the requisition's hiring manager and recruiters, already loaded (the
        application page prefetches them): the choices then render without a query."""
        super().__init__(*args, **kwargs)
        field = self.fields["interviewers"]
        field.label_from_instance = lambda u: u.get_full_name() or u.username
        if team is not None:
            people = {u.pk: u for u in team if u.is_active}
            field.queryset = User.objects.filter(is_active=True, pk__in=people)
            field.choices = [
                (u.pk, field.label_from_instance(u))
                for u in sorted(people.values(), key=lambda u: (u.first_name, u.username))
            ]
            return
        members = User.objects.filter(is_active=True).filter(
            pk__in=[
                requisition.hiring_manager_id,
                *requisition.recruiters.values_list("pk", flat=True),
            ]
        )
        field.queryset = members.order_by("first_name", "username")


RATING_CHOICES = [(value, str(value)) for value in range(RATING_MIN, RATING_MAX + 1)]


class ScorecardForm(forms.ModelForm):
    class Meta:
        model = Scorecard
        fields = [name for name, _label in SCORECARD_TRAITS] + ["recommendation", "notes"]
        widgets = {
            **{
                name: forms.RadioSelect(choices=RATING_CHOICES, attrs={"class": "rating"})
                for name, _label in SCORECARD_TRAITS
            },
            "recommendation": forms.RadioSelect(choices=Recommendation.choices),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, traits, **kwargs):
        """``traits``: the pipeline's enabled traits (``hiring.selectors.scorecard_traits_for``),
        in order; the form asks for those, under their names, and for no other column."""
        super().__init__(*args, **kwargs)
        self.traits = list(traits)
        rating_fields = {name: self.fields.pop(name) for name, _label in SCORECARD_TRAITS}
        others = {name: self.fields.pop(name) for name in list(self.fields)}
        for trait in self.traits:
            field = rating_fields[trait.column]
            field.label = trait.label
            field.help_text = trait.help_text
            field.required = True
            field.error_messages["required"] = f"Rate {trait.label}."
            self.fields[trait.column] = field
        self.fields.update(others)
        # The model field's choices carry a blank "---------" that a radio list shows checked:
        # the interviewer must pick a recommendation, none is preselected.
        self.fields["recommendation"].choices = Recommendation.choices

    def ratings(self) -> dict[str, int]:
        return {trait.column: self.cleaned_data[trait.column] for trait in self.traits}

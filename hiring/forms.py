from adminsortable2.admin import CustomInlineFormSet
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.roles import hiring_manager_q, recruiter_q
from hiring import policy
from hiring.models import SilenceAction, Stage, StageKind
from hiring.validators import country_choices, time_zone_choices, validate_plausible_instant


def hiring_manager_choices():
    """The users a requisition's hiring-manager picker offers (``accounts.roles``)."""
    return get_user_model().objects.filter(hiring_manager_q()).distinct().order_by("username")


def recruiter_choices():
    """The users a requisition's recruiter picker offers (``accounts.roles``)."""
    return get_user_model().objects.filter(recruiter_q()).distinct().order_by("username")


class TimeZoneField(forms.ChoiceField):
    """A picker of IANA zones (``zoneinfo.available_timezones`` less the machine-local ones)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "The silence-test deadline is computed in this zone.")
        super().__init__(choices=time_zone_choices, **kwargs)


class CountryField(forms.ChoiceField):
    """A picker of the countries with both a holiday calendar and phone numbering; a typed or
    posted code is upper-cased first ("se" is Sweden)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Public holidays and the default phone region.")
        super().__init__(choices=[("", "—"), *country_choices()], **kwargs)

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class StageInlineFormSet(CustomInlineFormSet):
    """The pipeline page's stages: checks across the rows that no single row can see."""

    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if not (self.can_delete and self._should_delete_form(form))
            if hasattr(form, "cleaned_data")
        ]
        silence = [f for f in kept if f.cleaned_data.get("kind") == StageKind.SILENCE_TEST]
        if len(silence) > 1:
            raise ValidationError(
                "A pipeline has at most one silence-test stage; these are: %(names)s.",
                code="one_silence_stage",
                params={"names": ", ".join(f.cleaned_data.get("name", "?") for f in silence)},
            )


class ScorecardTraitInlineFormSet(forms.BaseInlineFormSet):
    """The pipeline page's scorecard traits: checks across the rows (no row sees the others)."""

    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if not (self.can_delete and self._should_delete_form(form))
            if hasattr(form, "cleaned_data")
        ]
        labels = [(f.cleaned_data.get("label") or "").strip() for f in kept]
        seen, repeated = set(), []
        for label in labels:
            if label.casefold() in seen and label not in repeated:
                repeated.append(label)
            seen.add(label.casefold())
        if repeated:
            raise ValidationError(
                "Each trait of a pipeline needs its own name; used twice: %(names)s.",
                code="trait_label_repeated",
                params={"names": ", ".join(repeated)},
            )
        # A pipeline saved without any trait rows gets the five defaults
        # (PipelineAdmin.save_related); deleting every configured trait is refused below.
        if not kept and self.initial_form_count() == 0:
            return
        if not any(f.cleaned_data.get("enabled") for f in kept):
            raise ValidationError(
                "Scorecards must rate at least one trait: keep at least one trait enabled.",
                code="no_enabled_trait",
            )


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label="Your time zone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()


class AnnounceForm(forms.Form):
    announced_at = forms.DateTimeField(
        validators=[validate_plausible_instant],
        label="Told the candidate at (your time zone)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    announced_by = forms.ModelChoiceField(queryset=None, label="Told by", empty_label=None)

    def __init__(self, *args, requisition, user, team=None, **kwargs):
        """``team``: the requisition's hiring manager and recruiters, already loaded (the
        application page prefetches them): the choices then render without a query."""
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault(
            "announced_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        kwargs["initial"].setdefault("announced_by", user.pk)
        super().__init__(*args, **kwargs)
        field = self.fields["announced_by"]
        field.label_from_instance = lambda u: u.get_full_name() or u.username
        if team is not None:
            people = {u.pk: u for u in [*team, user]}
            field.queryset = get_user_model().objects.filter(pk__in=people)
            field.choices = [
                (u.pk, field.label_from_instance(u))
                for u in sorted(people.values(), key=lambda u: (u.first_name, u.pk))
            ]
            return
        team_ids = {requisition.hiring_manager_id, user.pk}
        team_ids.update(requisition.recruiters.values_list("pk", flat=True))
        field.queryset = get_user_model().objects.filter(pk__in=team_ids).order_by("first_name")


class HumanReviewStageForm(forms.ModelForm):
    """The stage admin's form: "move to Rejected" is not offered for the silence stage of a
    pipeline used by a requisition where a human must decide (``hiring.policy``)."""

    class Meta:
        model = Stage
        # The admin passes its fieldsets; these are for the form used on its own.
        fields = ["pipeline", "name", "order", "kind", "silence_action"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("silence_action")
        if field is not None and policy.pipeline_requires_human_review(self.instance.pipeline_id):
            field.choices = [c for c in field.choices if c[0] != SilenceAction.AUTO_REJECT]
            field.help_text = (
                "Automatic rejection is not offered: this pipeline has requisitions in "
                "countries where a person must decide (GDPR Art. 22)."
            )

    def clean(self):
        cleaned = super().clean()
        pipeline = cleaned.get("pipeline")
        if (
            cleaned.get("silence_action") == SilenceAction.AUTO_REJECT
            and pipeline is not None
            and policy.pipeline_requires_human_review(pipeline.pk)
        ):
            self.add_error(
                "silence_action",
                "Automatic rejection is not available: this pipeline has requisitions in "
                "countries where a person must decide (GDPR Art. 22).",
            )
        return cleaned

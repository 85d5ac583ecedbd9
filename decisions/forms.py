from django import forms

from decisions.models import TemplateKind

NO_EMAIL = ""


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        label="Reason (kept in the history, not sent)",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email_kind = forms.ChoiceField(label="Email to the candidate", required=False)

    def __init__(self, *args, kinds: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email_kind"].choices = [*kinds, (NO_EMAIL, "Don't send an email")]


def initial_kind(kinds: list[tuple[str, str]], preferred: str) -> str:
    values = [value for value, _label in kinds]
    return preferred if preferred in values else (values[0] if values else NO_EMAIL)


class IdListField(forms.Field):
    """Ticked application ids: positive integers that fit a database id."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            ids = [int(item) for item in value]
        except (TypeError, ValueError):
            raise forms.ValidationError("The selection is not valid.", code="invalid") from None
        if any(not 0 < item < 2**63 for item in ids):
            raise forms.ValidationError("The selection is not valid.", code="invalid")
        return ids


class BulkForm(forms.Form):
    """A bulk action on the applications ticked on the board or the ranking."""

    ACTIONS = [("move", "Move"), ("reject", "Reject"), ("export", "Export CSV")]

    action = forms.ChoiceField(choices=ACTIONS)
    applications = IdListField(required=False)
    to_stage = forms.TypedChoiceField(coerce=int, required=False, label="Move to")
    reason = forms.CharField(max_length=500, required=False, label="Reason")
    email_kind = forms.ChoiceField(required=False, label="Email")

    def __init__(self, *args, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].choices = [("", "Choose a stage")] + [
            (stage.pk, stage.name) for stage in stages
        ]
        # Every kind: a pipeline without that template refuses each item with the reason.
        self.fields["email_kind"].choices = [
            (NO_EMAIL, "Don't send an email"),
            *TemplateKind.choices,
        ]

    def clean_applications(self):
        # Any integer is accepted here: each id meets the visibility rule per item in the
        # service, and a foreign one is reported refused rather than failing the whole form.
        ids = self.cleaned_data["applications"]
        if not ids:
            raise forms.ValidationError("Tick at least one candidate.")
        if len(ids) > 500:
            raise forms.ValidationError("At most 500 candidates at once.")
        return ids

    def clean(self):
        data = super().clean()
        if data.get("action") == "move" and not data.get("to_stage"):
            self.add_error("to_stage", "Choose the stage to move to.")
        return data


__all__ = ["BulkForm", "RejectForm", "TemplateKind", "initial_kind"]

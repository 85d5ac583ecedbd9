from django import forms

from privacy.models import ErasureReason


def _folded(value: str) -> str:
    return " ".join((value or "").split()).casefold()


class EraseForm(forms.Form):
    """Typed confirmation: the admin must type the candidate's name as shown."""

    confirm_name = forms.CharField(
        label="Type the candidate's full name to confirm",
        max_length=201,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    reason = forms.ChoiceField(
        choices=[(v, label) for v, label in ErasureReason.choices if v != ErasureReason.RETENTION]
    )
    note = forms.CharField(
        label="Reference (optional)",
        max_length=300,
        required=False,
        help_text="E.g. the ticket number of the request. Do not write personal data here: "
        "this note is kept after the erasure.",
    )

    def __init__(self, *args, candidate, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidate = candidate

    def clean_confirm_name(self):
        typed = self.cleaned_data["confirm_name"]
        if _folded(typed) != _folded(self.candidate.full_name):
            raise forms.ValidationError(
                "That is not the candidate's name: nothing was erased. Type it exactly as shown."
            )
        return typed

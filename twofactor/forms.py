from django import forms


class CodeForm(forms.Form):
    """One code, as typed: spaces are allowed (apps show "123 456", codes are grouped)."""

    code = forms.CharField(
        label="Code",
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args, label: str | None = None, numeric: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["code"].label = label
        if numeric:
            # The phone keypad for an authenticator code; recovery codes need letters too.
            self.fields["code"].widget.attrs.update(inputmode="numeric", pattern=r"[0-9 ]*")

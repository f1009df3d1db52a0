from __future__ import annotations

from django import forms

from .services import parse_hex


class BackgroundForm(forms.Form):
    colour = forms.CharField(max_length=7)

    def clean_colour(self) -> str:
        value = self.cleaned_data["colour"].strip().lower()
        try:
            parse_hex(value)
        except ValueError as exc:
            raise forms.ValidationError("Pick a colour like #a1b2c3.") from exc
        return value

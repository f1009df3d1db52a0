from __future__ import annotations

from django import forms
from django.http import HttpRequest

from apps.idphoto.pipeline.sizes import ID_SIZES

from .pipeline.garments import DEFAULT_STYLE, STYLES
from .services import DEFAULT_SIZE, LIFT_RANGE, WIDEN_RANGE, SuitRejected, check_background

FIELD_CODES = {"style": "unknown_style", "size": "unknown_size", "background": "bad_background",
               "lift": "bad_fit", "widen": "bad_fit"}  # fmt: skip


class _SuitFields(forms.Form):
    def clean_background(self) -> str | None:
        value = (self.cleaned_data.get("background") or "").strip()
        if not value or value == "recommended":
            return None
        try:
            return check_background(value)
        except SuitRejected as exc:
            raise forms.ValidationError(exc.message) from exc

    def first_error(self) -> SuitRejected:
        field, errors = next(iter(self.errors.items()))
        return SuitRejected(FIELD_CODES.get(field, "bad_request"), f"{field}: {errors[0]}")


class SuitForm(_SuitFields):
    """The choices sent with the photo, from the page's form, a multipart API call or a JSON body."""

    style = forms.ChoiceField(choices=[(s.key, s.label) for s in STYLES.values()], initial=DEFAULT_STYLE)
    size = forms.ChoiceField(choices=[(s.key, s.label) for s in ID_SIZES.values()], required=False)
    background = forms.CharField(max_length=16, required=False)

    @classmethod
    def from_request(cls, request: HttpRequest) -> SuitForm:
        data = request.image_intake.fields()
        return cls({key: data.get(key) for key in ("style", "size", "background")})

    def clean_size(self) -> str:
        return self.cleaned_data.get("size") or DEFAULT_SIZE

    def job_params(self) -> dict:
        """What suit_generate takes besides the photo and its owner."""
        data = self.cleaned_data
        return {"style": data["style"], "size_key": data["size"], "background": data["background"]}


class RefitForm(_SuitFields):
    """The result page's controls: fit sliders, another style, another background."""

    style = forms.ChoiceField(choices=[(s.key, s.label) for s in STYLES.values()], required=False)
    lift = forms.FloatField(required=False, min_value=LIFT_RANGE[0], max_value=LIFT_RANGE[1])
    widen = forms.FloatField(required=False, min_value=WIDEN_RANGE[0], max_value=WIDEN_RANGE[1])
    background = forms.CharField(max_length=16, required=False)

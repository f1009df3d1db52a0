from __future__ import annotations

import json

from django import forms
from django.http import HttpRequest

from .pipeline.types import DIRECTIONS
from .services import Crop, SeasonsRejected


class SeasonsForm(forms.Form):
    """The direction and the optional square crop, from a page form, a multipart API call or a JSON body.

    The crop comes as ``crop_x``/``crop_y``/``crop_size`` fields or as one ``crop`` object
    ``{"x", "y", "size"}`` (JSON body, or a JSON string in a form field).
    """

    direction = forms.CharField(max_length=32)
    crop_x = forms.IntegerField(required=False)
    crop_y = forms.IntegerField(required=False)
    crop_size = forms.IntegerField(required=False)

    @classmethod
    def from_request(cls, request: HttpRequest) -> SeasonsForm:
        data = request.image_intake.fields()
        crop = data.get("crop")
        if isinstance(crop, str) and crop.strip():
            try:
                crop = json.loads(crop)
            except ValueError as exc:
                raise SeasonsRejected(
                    "bad_crop", 'The crop must be an object like {"x": 0, "y": 0, "size": 512}.'
                ) from exc
        if isinstance(crop, dict):
            data = {**data, "crop_x": crop.get("x"), "crop_y": crop.get("y"), "crop_size": crop.get("size")}
        elif crop not in (None, ""):
            raise SeasonsRejected("bad_crop", 'The crop must be an object like {"x": 0, "y": 0, "size": 512}.')
        return cls({key: data.get(key) for key in ("direction", "crop_x", "crop_y", "crop_size")})

    def clean_direction(self) -> str:
        direction = self.cleaned_data["direction"]
        if direction not in DIRECTIONS:
            raise forms.ValidationError(f"Unknown direction '{direction}'. Choose one of: {', '.join(DIRECTIONS)}.")
        return direction

    def crop(self) -> Crop | None:
        values = [self.cleaned_data.get(key) for key in ("crop_x", "crop_y", "crop_size")]
        if all(value is None for value in values):
            return None
        if any(value is None for value in values):
            raise SeasonsRejected("bad_crop", "Give all of the crop's x, y and size, or none of them.")
        return Crop(*values)

    def job_params(self) -> dict:
        """What seasons' generator takes besides the photo (apps.seasons.apps.generate_seasons)."""
        crop = self.crop()
        return {"direction": self.cleaned_data["direction"], "crop": crop.to_dict() if crop else None}

    def first_error(self) -> SeasonsRejected:
        field, errors = next(iter(self.errors.items()))
        code = "unknown_direction" if field == "direction" else "bad_crop"
        return SeasonsRejected(code, f"{field}: {errors[0]}")

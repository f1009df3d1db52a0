from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile

from apps.core.imageio import DecodedImage, ImageInputError, decode_image_bytes
from apps.core.intake import intake_limits

from .models import CompositionShot
from .services import MAX_REFERENCES

TARGET_FIELDS = ("head_ratio", "leg_ratio", "headroom", "footroom", "subject_height", "body_shown")


class ShotForm(forms.Form):
    """What comes with a photo: the profile it is judged against and what took it."""

    profile = forms.CharField(max_length=40, required=False)
    trigger = forms.ChoiceField(choices=CompositionShot.Trigger.choices, required=False)

    def clean_trigger(self) -> str:
        return self.cleaned_data.get("trigger") or CompositionShot.Trigger.UPLOAD


class ProfileCreateForm(forms.Form):
    name = forms.CharField(max_length=80)

    def __init__(self, data=None, files=None) -> None:
        super().__init__(data)
        self.uploads: list[UploadedFile] = list(files.getlist("references")) if files is not None else []

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.uploads:
            raise forms.ValidationError("Add at least one photo you like.")
        if len(self.uploads) > MAX_REFERENCES:
            raise forms.ValidationError(f"Use at most {MAX_REFERENCES} photos.")
        return cleaned

    def references(self) -> list[DecodedImage]:
        """The uploads decoded; a bad one raises ImageInputError naming the file."""
        limits = intake_limits()
        decoded = []
        for upload in self.uploads:
            if upload.size > limits.max_bytes:
                raise ImageInputError(
                    "too_large", f"{upload.name} is larger than {limits.max_bytes // 1_000_000} MB.", 413
                )
            try:
                decoded.append(decode_image_bytes(upload.read(), limits))
            except ImageInputError as error:
                raise ImageInputError(error.code, f"{upload.name}: {error.message}", error.status) from error
        return decoded


class ProfileEditForm(forms.Form):
    """A profile's name and its targets, as fractions (the page shows them as percentages)."""

    name = forms.CharField(max_length=80)
    head_ratio = forms.FloatField(required=False, min_value=0.05, max_value=0.4)
    leg_ratio = forms.FloatField(required=False, min_value=0.3, max_value=0.7)
    headroom = forms.FloatField(min_value=0.0, max_value=0.5)
    footroom = forms.FloatField(required=False, min_value=0.0, max_value=0.5)
    subject_height = forms.FloatField(min_value=0.2, max_value=1.0)
    body_shown = forms.FloatField(required=False, min_value=0.3, max_value=1.0,
                                  help_text="For looks without feet: how much of the body shows, 1 = head to feet.")  # fmt: skip
    horizontal = forms.ChoiceField(choices=[("centre", "Centred"), ("thirds", "On a third line"),
                                            ("left_third", "Left third"), ("right_third", "Right third")])  # fmt: skip

    def targets(self) -> dict:
        return {key: self.cleaned_data.get(key) for key in (*TARGET_FIELDS, "horizontal")}

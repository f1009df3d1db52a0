from __future__ import annotations

from django import forms

from .pipeline.types import EMOTIONS, FRAME_SHAPES, GLASSES, MONK_SCALE

HEX_PATTERN = r"^#[0-9a-fA-F]{6}$"


class CorrectionForm(forms.Form):
    """What the user says we read wrong. Only the fields that differ from the drawing are kept."""

    emotion = forms.ChoiceField(choices=[(e, e.capitalize()) for e in EMOTIONS])
    mask = forms.TypedChoiceField(choices=[("yes", "Mask"), ("no", "No mask")], coerce=lambda v: v == "yes")
    glasses = forms.ChoiceField(choices=[(g, g.capitalize()) for g in GLASSES])
    frame_shape = forms.ChoiceField(choices=[(f, f.capitalize()) for f in FRAME_SHAPES], required=False)
    skin_step = forms.TypedChoiceField(
        choices=[("", "As measured")] + [(str(i + 1), f"Monk {i + 1}") for i in range(len(MONK_SCALE))],
        coerce=int,
        required=False,
        empty_value=None,
    )
    hair_hex = forms.RegexField(regex=HEX_PATTERN, required=False)
    no_hair = forms.BooleanField(required=False)

    def corrections(self, current: dict) -> dict:
        """The typed changes against ``current`` (an EmoticonSpec dict), ready for the service."""
        data = self.cleaned_data
        wanted = {
            "emotion": data["emotion"],
            "mask": data["mask"],
            "glasses": data["glasses"],
            "frame_shape": data.get("frame_shape") or current["frame_shape"],
        }
        if data.get("skin_step"):
            wanted["skin_hex"] = MONK_SCALE[data["skin_step"] - 1]
        if data.get("no_hair"):
            wanted["hair_hex"] = None
        elif data.get("hair_hex"):
            wanted["hair_hex"] = data["hair_hex"].lower()
        return {key: value for key, value in wanted.items() if current.get(key) != value}

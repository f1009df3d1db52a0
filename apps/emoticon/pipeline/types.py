"""The vocabulary every emoticon stage shares."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
GLASSES: tuple[str, ...] = ("none", "eyeglasses", "sunglasses")
FRAME_SHAPES: tuple[str, ...] = ("none", "round", "square")

# The Monk Skin Tone scale (Ellis Monk, 2019; published by Google, CC BY 4.0), step 1 (lightest) .. 10.
MONK_SCALE: tuple[str, ...] = (
    "#f6ede4", "#f3e7db", "#f7ead0", "#eadaba", "#d7bd96",
    "#a07e56", "#825c43", "#604134", "#3a312a", "#292420",
)  # fmt: skip


@dataclass(frozen=True)
class FaceShape:
    """A face's proportions from its landmarks, so the emoticon looks like this person.

    Lengths are fractions of the face width (cheek to cheek); heights of the face height.
    """

    aspect: float = 1.25  # face height (forehead top to chin) / face width
    eye_spacing: float = 0.42  # pupil to pupil / face width
    eye_size: float = 0.16  # eye opening width / face width
    mouth_width: float = 0.38  # corner to corner / face width
    # Typical measured values (landmark 10 to the chin): eye line 0.29-0.35, mouth line 0.70-0.79.
    eye_line: float = 0.32  # from the top of the face, / face height
    mouth_line: float = 0.75  # from the top of the face, / face height

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Attributes:
    mask: bool
    mask_confidence: float  # 0..1, for the decision taken
    glasses: str  # one of GLASSES
    glasses_confidence: float
    frame_shape: str  # one of FRAME_SHAPES; "none" without glasses
    frame_confidence: float
    skin_hex: str  # measured skin colour, "#rrggbb"
    skin_step: int  # nearest Monk scale step, 1..10
    hair_hex: str | None  # measured hair colour, None when not visible
    engines: dict[str, str] = field(default_factory=dict)  # attribute name -> engine that decided it

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class EmoticonSpec:
    """Everything the renderer needs: what was read from the photo, after any user corrections."""

    emotion: str  # one of EMOTIONS
    mask: bool
    glasses: str
    frame_shape: str
    skin_hex: str
    hair_hex: str | None
    shape: FaceShape = field(default_factory=FaceShape)

    def to_dict(self) -> dict:
        return asdict(self)

"""Personal-colour analysis and background recommendation for the emotional ID photo. No Django here.

``analyse_personal_colour`` measures skin, hair, eyes, lips and clothes in CIELAB
from face-mesh regions and classifies them the way a personal-colour analyst
would: undertone, value, chroma and contrast, then one of the four seasons.
``recommend_backgrounds`` ranks plain ID-photo backgrounds from the season
palettes by how well they suit that colouring and how clearly the person stands
out against them, each with a one-sentence reason for the user.

Lab values are CIE L*a*b* (D65) as OpenCV computes them from sRGB: L* 0..100,
a* and b* signed. Colour differences are CIE76 ΔE (Euclidean in Lab): the
margins used here are wide enough that the finer CIEDE2000 would not change a
decision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from apps.core.imageio import Matte, RGBImage

from .faces import CHIN, FACE_OVAL, FOREHEAD_TOP, Landmarks


class FaceNotMeasurable(ValueError):
    """Too few usable skin pixels: the face is tiny, hidden or badly exposed."""


Lab = tuple[float, float, float]
LabArray = npt.NDArray[np.float32]  # Nx3 L*, a*, b*

# --- Face-mesh regions (mediapipe 468-point topology, iris points 468..477) -----------------------
# "Right" and "left" are the person's own: the right cheek is on the image's left.
RIGHT_CHEEK = (117, 118, 101, 36, 205, 187, 123)
LEFT_CHEEK = (346, 347, 330, 266, 425, 411, 352)
FOREHEAD = (67, 109, 10, 338, 297, 299, 337, 151, 108, 69)  # above the brows, inside the oval
LIPS_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185)
LIPS_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191)
RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
RIGHT_IRIS = (468, 469, 470, 471, 472)  # centre, then four points on the rim
LEFT_IRIS = (473, 474, 475, 476, 477)
MESH_POINTS_WITH_IRIS = 478

# --- Measurement ---------------------------------------------------------------------------------
OPAQUE = 0.9  # matte value above which a pixel is surely the person, not a blend with the background
CLIPPED_LOW, CLIPPED_HIGH = 8, 247  # 8-bit channel values treated as clipped (no colour information)
# Plausible skin in Lab. Generous on purpose: it only has to reject brows, fringe hair, glasses and
# shadows inside the patches; the cheeks themselves are always skin.
SKIN_L = (12.0, 96.0)
SKIN_CHROMA = (4.0, 60.0)
SKIN_HUE_DEG = (-5.0, 100.0)
SKIN_TRIM_PERCENTILES = (10, 90)  # on L*: drops shadowed pores and shine before the median
EYE_PUPIL_PERCENTILE = 35  # the darkest third of the iris disk is pupil and lash shadow
EYE_HIGHLIGHT_PERCENTILE = 90  # the brightest tenth is the catch-light
EYE_DISK = 0.85  # of the iris radius: the rim blends into the white of the eye
HAIR_REACH = 1.0  # hair is searched up to this many face widths around the face
HAIR_NOT_SKIN_DE = 8.0  # hair-zone pixels this close to the skin are forehead, scalp or ears
HAIRLINE_MARGIN = 0.08  # face heights around the oval left out of the hair zone (see measure_hair)
# Face widths of matte kept out of the hair zone: strands at the matte's edge are blended with the old
# background, which on a dark backdrop passes for darker hair than the person has.
HAIR_MATTE_INSET = 0.03
# Hair is named by its lit part (see _lit_colour): coloured hair by its pixels within HAIR_BAND
# percentile points of the HAIR_LIT_PERCENTILE of their L*, black and grey hair by those around the
# median. The C* of the hair's main colour moves the percentile from the one to the other.
HAIR_LIT_PERCENTILE = 80.0
HAIR_BAND = 20.0
HAIR_COLOURFUL_CHROMA = (6.0, 14.0)  # C*: neutral at the first, coloured at the second
CLOTHING_BELOW_CHIN = 0.4  # face heights between the chin and where clothes are measured
CLOTHING_DEPTH = 2.5  # ... and down to here: the chest and shoulders, not hands or laps
CLOTHING_REACH = 1.75  # face widths either side of the face centre
CLOTHING_NOT_SKIN_DE = 10.0  # neck and neckline skin
DOMINANT_BIN = 10.0  # Lab histogram bin for finding the main colour of hair and clothes
DOMINANT_RADIUS = 15.0  # ΔE around the histogram mode counted as that colour
WORKING_FACE_HEIGHT = 400  # px, forehead to chin; larger faces are measured on a shrunk copy
MAX_REGION_SAMPLES = 40_000  # pixels of hair or clothes kept for the histogram
LIP_L = (15.0, 92.0)  # outside this, a lip pixel is mouth shadow or shine
MIN_SKIN_PIXELS = 30
MIN_REGION_PIXELS = 20
MIN_EYE_PIXELS = 10
MIN_HAIR_FRACTION = 0.03  # of the face box area: less than this is a bald head or hair out of frame
MIN_CLOTHING_FRACTION = 0.10

# --- Classification thresholds (all from the measured Lab values) -------------------------------
# These are for skin as a camera records it, which is lighter than a colorimeter reads it. Typical
# well-exposed photos: fair skin about (83, 10, 15), light (77, 12, 20), medium (67, 12, 25),
# tan (55, 14, 25), deep (39, 10, 18). Exposure moves all of them; nothing here corrects for it.
#
# Undertone from the skin's hue angle h = atan2(b*, a*): yellow-leaning skin (b* well above a*) is
# warm, pink-leaning skin (b* close to a*) is cool. Equivalently, warm when b*/a* >= tan(57°) ≈ 1.54
# and cool when b*/a* <= tan(45°) = 1.0. Photographed skin of every depth sits at about 40..70°,
# so the neutral band between is deliberately narrow.
COOL_HUE_MAX = 45.0
WARM_HUE_MIN = 57.0
# Value from the overall lightness: skin L*, with hair pulling it a quarter of the way, because an
# analyst reads "light" or "deep" from the whole head, not from the cheek alone.
VALUE_HAIR_WEIGHT = 0.25
LIGHT_VALUE_MIN = 68.0  # fair or light skin with hair lighter than black
DEEP_VALUE_MAX = 50.0  # tan skin with black hair, or deeper
# Chroma from skin C* = sqrt(a*² + b*²): clear, saturated colouring reads bright and greyed, soft
# colouring reads muted. Photographed skin is about 15..30; the split is near its middle.
BRIGHT_CHROMA_MIN = 24.0
# Contrast from |L*(hair) - L*(skin)|, or the eyes instead of the hair when no hair was measured.
HIGH_CONTRAST_MIN = 36.0  # e.g. dark brown or black hair on medium-to-fair skin
LOW_CONTRAST_MAX = 20.0  # e.g. blonde hair on fair skin, or black hair on deep skin

# --- Seasons -------------------------------------------------------------------------------------
SEASONS = ("spring", "summer", "autumn", "winter")
SEASON_UNDERTONE = {"spring": "warm", "summer": "cool", "autumn": "warm", "winter": "cool"}
SEASON_VALUE = {"spring": "light", "summer": "light", "autumn": "deep", "winter": "deep"}
SEASON_CHROMA = {"spring": "bright", "summer": "muted", "autumn": "muted", "winter": "bright"}
SEASON_CONTRAST = {
    "high": {"winter": 1.0, "autumn": 0.5},
    "medium": {"spring": 1.0, "autumn": 1.0, "winter": 0.5},
    "low": {"summer": 1.0, "spring": 0.5},
}
# Undertone decides first, as analysts do; value and chroma then pick the season within it.
UNDERTONE_WEIGHT, VALUE_WEIGHT, CHROMA_WEIGHT, CONTRAST_WEIGHT = 3.0, 1.5, 1.5, 1.0
SEASON_CHARACTER = {
    "spring": "clear, warm, light colours",
    "summer": "soft, cool pastels",
    "autumn": "warm, muted earth tones",
    "winter": "crisp, cool, clear colours",
}


@dataclass(frozen=True)
class PaletteColour:
    name: str
    hex: str
    palette: str


# Plain ID-photo backgrounds, light to mid value: a background darker than this crushes hair and
# suits, and saturated ones throw a colour cast on the face.
PALETTES: tuple[PaletteColour, ...] = tuple(
    PaletteColour(name, hex_, season)
    for season, colours in (
        ("spring", (("warm ivory", "#fbf3e0"), ("light peach", "#f9d9c3"), ("soft apricot", "#f6c9a0"),
                    ("buttercream", "#f6e7b0"), ("light aqua", "#c4ebe3"), ("clear sky blue", "#b5daf5"),
                    ("fresh mint", "#cdecc9"))),
        ("summer", (("ID light grey", "#e3e5e8"), ("powder blue", "#c6d9ea"), ("ID light blue", "#aecbe8"),
                    ("soft lavender", "#d8d2e8"), ("dusty rose", "#e6c8d0"), ("blue-grey", "#b6c3d1"),
                    ("sea-mist green", "#c8ddd6"))),
        ("autumn", (("warm beige", "#e4d5bc"), ("sage green", "#c2c8a8"), ("camel", "#d1b48c"),
                    ("soft terracotta", "#d9a88b"), ("muted teal", "#8fb3ad"), ("warm taupe", "#b8a796"),
                    ("olive khaki", "#a39f7a"))),
        ("winter", (("pure white", "#ffffff"), ("icy blue", "#dcebf7"), ("icy pink", "#f3dde6"),
                    ("ID blue", "#438edb"), ("cool mid grey", "#a7adb5"), ("icy lavender", "#e4e0f4"),
                    ("slate", "#5d6773"))),
    )
    for name, hex_ in colours
)  # fmt: skip

# --- Ranking -------------------------------------------------------------------------------------
# score = suitability x separation. Suitability is mostly season fit, with a little value harmony.
# Separation multiplies rather than adds: a background the clothes or hair melt into is wrong however
# well its palette fits, so it must lose to a neighbouring palette's colour that keeps the outline.
FIT_WEIGHT, VALUE_PREF_WEIGHT = 3.0, 0.5
# What a background keeps of its score when it gives no separation at all.
CLOTHING_FLOOR, HAIR_FLOOR, SKIN_FLOOR = 0.1, 0.25, 0.5
# Palettes of other seasons fit in proportion to the traits they share with the person's season.
SHARED_UNDERTONE_FIT, SHARED_VALUE_FIT, SHARED_CHROMA_FIT = 0.5, 0.25, 0.25
NEUTRAL_CROSS_FIT = 0.25  # a neutral undertone carries the other undertone's colours too
CLOTHING_DE = (8.0, 25.0)  # ΔE from the clothes: no separation at the first, full at the second
HAIR_DE = (10.0, 30.0)
SKIN_DE = (10.0, 25.0)
# Fine light strands are half transparent at the matte's edge and vanish on near-white; dark hair
# merges into dark backgrounds. Ramps over the background's L*: (no penalty, full penalty).
LIGHT_HAIR_L = 58.0
LIGHT_HAIR_BACKGROUND_L = (86.0, 94.0)
DARK_HAIR_L = 35.0
DARK_HAIR_BACKGROUND_L = (55.0, 40.0)
# A light person looks best on light backgrounds and a deep one on mid values (harmony of value).
VALUE_TARGET_L = {"light": 90.0, "medium": 80.0, "deep": 68.0}
VALUE_PREF_SPAN = 40.0
DISTINCT_DE = 8.0  # candidates closer than this to a better one are the same colour to the user


@dataclass(frozen=True)
class ColourProfile:
    skin_lab: Lab
    hair_lab: Lab | None  # None when not measurable (bald, hair not visible)
    eye_lab: Lab | None
    lip_lab: Lab | None
    clothing_lab: Lab | None
    undertone: str  # "warm" | "cool" | "neutral"
    value: str  # "light" | "medium" | "deep"
    chroma: str  # "bright" | "muted"
    contrast: str  # "high" | "medium" | "low"
    season: str  # "spring" | "summer" | "autumn" | "winter"

    def to_dict(self) -> dict:
        def lab(value: Lab | None) -> list[float] | None:
            return None if value is None else [round(float(v), 2) for v in value]

        return {
            "skin_lab": lab(self.skin_lab),
            "hair_lab": lab(self.hair_lab),
            "eye_lab": lab(self.eye_lab),
            "lip_lab": lab(self.lip_lab),
            "clothing_lab": lab(self.clothing_lab),
            "undertone": self.undertone,
            "value": self.value,
            "chroma": self.chroma,
            "contrast": self.contrast,
            "season": self.season,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ColourProfile:
        def lab(value: list[float] | None) -> Lab | None:
            return None if value is None else _lab_tuple(value)

        return cls(
            skin_lab=_lab_tuple(data["skin_lab"]),
            hair_lab=lab(data.get("hair_lab")),
            eye_lab=lab(data.get("eye_lab")),
            lip_lab=lab(data.get("lip_lab")),
            clothing_lab=lab(data.get("clothing_lab")),
            undertone=data["undertone"],
            value=data["value"],
            chroma=data["chroma"],
            contrast=data["contrast"],
            season=data["season"],
        )


@dataclass(frozen=True)
class BackgroundCandidate:
    hex: str  # "#rrggbb", lowercase
    rgb: tuple[int, int, int]
    palette: str  # the season palette the colour comes from
    reason: str  # one sentence for the user, built from this person's measurements
    score: float  # 0..1, higher is better
    name: str = ""  # a plain colour name for the user ("powder blue")

    def to_dict(self) -> dict:
        return {
            "hex": self.hex,
            "name": self.name,
            "rgb": list(self.rgb),
            "palette": self.palette,
            "reason": self.reason,
            "score": self.score,
        }


# --- Colour arithmetic ---------------------------------------------------------------------------


def rgb_to_lab(rgb: npt.NDArray[np.uint8]) -> LabArray:
    """Nx3 (or HxWx3) uint8 sRGB to the same shape of float32 L*a*b*."""
    pixels = np.asarray(rgb, np.float32).reshape(-1, 1, 3) / 255.0
    if len(pixels) == 0:
        return np.zeros(np.shape(rgb), np.float32)
    return cv2.cvtColor(pixels, cv2.COLOR_RGB2Lab).reshape(np.shape(rgb))


def hex_to_rgb(value: str) -> tuple[int, int, int]:
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def delta_e(first: Lab, second: Lab) -> float:
    return math.dist(first, second)


def chroma_of(lab: Lab) -> float:
    return math.hypot(lab[1], lab[2])


def hue_deg(lab: Lab) -> float:
    """Hue angle in degrees, -180..180: about 0 is pink-red, 90 yellow, -90 blue."""
    return math.degrees(math.atan2(lab[2], lab[1]))


def _lab_tuple(values: npt.ArrayLike) -> Lab:
    first, second, third = (float(v) for v in np.asarray(values, np.float64).ravel()[:3])
    return first, second, third


def _ramp(value: float, zero_at: float, one_at: float) -> float:
    """0 at ``zero_at``, 1 at ``one_at``, linear between and clipped; works in either direction."""
    return float(np.clip((value - zero_at) / (one_at - zero_at), 0.0, 1.0))


_PALETTE_LABS: tuple[Lab, ...] = tuple(
    _lab_tuple(lab) for lab in rgb_to_lab(np.asarray([hex_to_rgb(c.hex) for c in PALETTES], np.uint8))
)


# --- Regions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    """A clipped rectangle of the image, so masks are built only where a region can be."""

    y0: int
    y1: int
    x0: int
    x1: int

    @classmethod
    def around(cls, shape: tuple[int, ...], x0: float, y0: float, x1: float, y1: float) -> _Window:
        height, width = shape[:2]
        return cls(
            y0=int(np.clip(math.floor(y0), 0, height)),
            y1=int(np.clip(math.ceil(y1) + 1, 0, height)),
            x0=int(np.clip(math.floor(x0), 0, width)),
            x1=int(np.clip(math.ceil(x1) + 1, 0, width)),
        )

    @property
    def empty(self) -> bool:
        return self.y1 <= self.y0 or self.x1 <= self.x0

    @property
    def shape(self) -> tuple[int, int]:
        return self.y1 - self.y0, self.x1 - self.x0

    def crop(self, array: np.ndarray) -> np.ndarray:
        return array[self.y0 : self.y1, self.x0 : self.x1]

    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Pixel-centre x and y coordinates of the window, in image pixels."""
        ys, xs = np.mgrid[self.y0 : self.y1, self.x0 : self.x1]
        return xs.astype(np.float32), ys.astype(np.float32)

    def polygon(self, points: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.shape, np.uint8)
        shifted = np.round(points - (self.x0, self.y0)).astype(np.int32)
        cv2.fillPoly(mask, [shifted], 1)
        return mask.astype(bool)


def _polygon_pixels(rgb: RGBImage, landmarks: Landmarks, indices: tuple[int, ...]) -> npt.NDArray[np.uint8]:
    points = landmarks[list(indices)]
    window = _Window.around(rgb.shape, *points.min(axis=0), *points.max(axis=0))
    if window.empty:
        return np.zeros((0, 3), np.uint8)
    return window.crop(rgb)[window.polygon(points)]


def _unclipped(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    brightest = pixels.max(axis=1)
    return pixels[(brightest < CLIPPED_HIGH) & (brightest > CLIPPED_LOW)]


def _median(lab: LabArray) -> Lab:
    return _lab_tuple(np.median(lab, axis=0))


def _trim_lightness(lab: LabArray, low: float, high: float) -> LabArray:
    lo, hi = np.percentile(lab[:, 0], [low, high])
    return lab[(lab[:, 0] >= lo) & (lab[:, 0] <= hi)]


def _face_box(landmarks: Landmarks) -> tuple[float, float, float, float]:
    """x0, y0, x1, y1 of the face oval."""
    oval = landmarks[list(FACE_OVAL)]
    x0, y0 = oval.min(axis=0)
    x1, y1 = oval.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def skin_pixels(rgb: RGBImage, landmarks: Landmarks) -> npt.NDArray[np.uint8]:
    """Nx3 RGB of the cheek and forehead patches, which stay clear of eyes, brows, nostrils and lips."""
    return np.concatenate([_polygon_pixels(rgb, landmarks, patch) for patch in (RIGHT_CHEEK, LEFT_CHEEK, FOREHEAD)])


def measure_skin(rgb: RGBImage, landmarks: Landmarks) -> Lab:
    lab = rgb_to_lab(_unclipped(skin_pixels(rgb, landmarks)))
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    hue = np.degrees(np.arctan2(lab[:, 2], lab[:, 1]))
    plausible = (
        (lab[:, 0] >= SKIN_L[0])
        & (lab[:, 0] <= SKIN_L[1])
        & (chroma >= SKIN_CHROMA[0])
        & (chroma <= SKIN_CHROMA[1])
        & (hue >= SKIN_HUE_DEG[0])
        & (hue <= SKIN_HUE_DEG[1])
    )
    # A strong colour cast can push real skin outside the plausible range; the patches are skin by
    # construction, so measure them as they are rather than fail.
    if np.count_nonzero(plausible) >= MIN_SKIN_PIXELS:
        lab = lab[plausible]
    if len(lab) < MIN_SKIN_PIXELS:
        raise FaceNotMeasurable("The face is too small or too over- or under-exposed to measure the skin colour.")
    return _median(_trim_lightness(lab, *SKIN_TRIM_PERCENTILES))


def lip_pixels(rgb: RGBImage, landmarks: Landmarks) -> npt.NDArray[np.uint8]:
    """Nx3 RGB between the outer and inner lip lines."""
    outer = landmarks[list(LIPS_OUTER)]
    window = _Window.around(rgb.shape, *outer.min(axis=0), *outer.max(axis=0))
    if window.empty:
        return np.zeros((0, 3), np.uint8)
    # The inner mouth (teeth, tongue, darkness) is cut out, not filtered: teeth pass any colour test.
    mask = window.polygon(outer) & ~window.polygon(landmarks[list(LIPS_INNER)])
    return window.crop(rgb)[mask]


def measure_lips(rgb: RGBImage, landmarks: Landmarks) -> Lab | None:
    lab = rgb_to_lab(_unclipped(lip_pixels(rgb, landmarks)))
    lab = lab[(lab[:, 0] >= LIP_L[0]) & (lab[:, 0] <= LIP_L[1])]
    return _median(lab) if len(lab) >= MIN_REGION_PIXELS else None


def _iris(landmarks: Landmarks, iris: tuple[int, ...], contour: tuple[int, ...]) -> tuple[np.ndarray, float]:
    if len(landmarks) >= MESH_POINTS_WITH_IRIS:
        centre = landmarks[iris[0]]
        radius = float(np.linalg.norm(landmarks[list(iris[1:])] - centre, axis=1).mean())
        return centre, radius
    # Without iris refinement: the iris sits about in the middle of the eye opening, ~0.2 eye widths wide.
    eye = landmarks[list(contour)]
    return eye.mean(axis=0), float(np.ptp(eye[:, 0]) * 0.2)


def iris_pixels(rgb: RGBImage, landmarks: Landmarks) -> npt.NDArray[np.uint8]:
    """Nx3 RGB of both irises where the lids leave them visible, pupils and catch-lights included."""
    samples = [np.zeros((0, 3), np.uint8)]
    for iris, contour in ((RIGHT_IRIS, RIGHT_EYE), (LEFT_IRIS, LEFT_EYE)):
        centre, radius = _iris(landmarks, iris, contour)
        reach = radius * EYE_DISK
        window = _Window.around(rgb.shape, centre[0] - reach, centre[1] - reach, centre[0] + reach, centre[1] + reach)
        if window.empty or reach < 1.0:
            continue
        xs, ys = window.grid()
        disk = np.hypot(xs - centre[0], ys - centre[1]) <= reach
        # The lids cover part of the iris disk; only the visible eye opening is iris.
        opening = window.polygon(landmarks[list(contour)])
        samples.append(window.crop(rgb)[disk & opening])
    return np.concatenate(samples)


def measure_eyes(rgb: RGBImage, landmarks: Landmarks) -> Lab | None:
    pixels = iris_pixels(rgb, landmarks)
    if len(pixels) < MIN_EYE_PIXELS:
        return None
    lab = rgb_to_lab(pixels)
    low, high = np.percentile(lab[:, 0], [EYE_PUPIL_PERCENTILE, EYE_HIGHLIGHT_PERCENTILE])
    lab = lab[(lab[:, 0] >= low) & (lab[:, 0] <= high)]
    return _median(lab) if len(lab) >= MIN_EYE_PIXELS // 2 else None


def _dominant(lab: LabArray, min_pixels: int) -> Lab | None:
    """The main colour of a patterned region: the median of the pixels around the Lab histogram's mode.

    A median of all pixels would blend a navy suit, a white shirt and a blue tie into a grey that is
    none of them.
    """
    if len(lab) < min_pixels:
        return None
    centre = _histogram_mode(lab)
    near = lab[np.linalg.norm(lab - centre, axis=1) <= DOMINANT_RADIUS]
    return _median(near) if len(near) >= min_pixels else None


def _histogram_mode(lab: LabArray) -> npt.NDArray[np.float64]:
    """The mean of the pixels in the busiest cell of a coarse Lab histogram.

    The histogram is summed over neighbouring bins first, so a colour that straddles a bin edge is not
    outvoted by a smaller one that happens to fall inside a single bin.
    """
    side = int(256 // DOMINANT_BIN) + 1
    bins = np.clip(np.floor((lab + (0.0, 128.0, 128.0)) / DOMINANT_BIN).astype(np.int32), 0, side - 1)
    keys = (bins[:, 0] * side + bins[:, 1]) * side + bins[:, 2]
    counts = np.pad(np.bincount(keys, minlength=side**3).reshape(side, side, side), 1)
    smoothed = sum(
        counts[1 + dl : side + 1 + dl, 1 + da : side + 1 + da, 1 + db : side + 1 + db]
        for dl in (-1, 0, 1)
        for da in (-1, 0, 1)
        for db in (-1, 0, 1)
    )
    mode = np.unravel_index(int(np.argmax(smoothed)), smoothed.shape)
    neighbourhood = np.all(np.abs(bins - np.asarray(mode, np.int32)) <= 1, axis=1)
    return lab[neighbourhood].mean(axis=0, dtype=np.float64)


def _lit_colour(lab: LabArray, min_pixels: int) -> Lab | None:
    """The colour a person would name for hair: its main colour as it looks where the light falls on it.

    Hair is one colour seen at every depth of shadow, and the shadow is most of it: the histogram's
    mode is the shadowed mass (copper hair beside a side-lit face has its mode at L* 15, its lit side
    at 40..65). Shading moves a colour mostly along L*, so the main colour is taken at every lightness,
    as the pixels whose a*, b* are within DOMINANT_RADIUS of the mode's; their lit part then stands for
    coloured hair. Not for black or grey hair: there the lighter pixels are sheen and skin between the
    strands, and the darker ones are no less the colour, so the middle of the whole is kept.
    """
    if len(lab) < min_pixels:
        return None
    centre = _histogram_mode(lab)
    same = lab[np.hypot(lab[:, 1] - centre[1], lab[:, 2] - centre[2]) <= DOMINANT_RADIUS]
    if len(same) < min_pixels:
        return None
    lift = _ramp(chroma_of(_lab_tuple(centre)), *HAIR_COLOURFUL_CHROMA)
    percentile = 50.0 + (HAIR_LIT_PERCENTILE - 50.0) * lift
    low, high = np.percentile(same[:, 0], [max(0.0, percentile - HAIR_BAND), min(100.0, percentile + HAIR_BAND)])
    return _median(same[(same[:, 0] >= low) & (same[:, 0] <= high)])


def _inside_matte(alpha: Matte, window: _Window, inset: int) -> np.ndarray:
    """The window's pixels that are opaque and at least ``inset`` pixels from any that are not."""
    if inset < 1:
        return window.crop(alpha) > OPAQUE
    # Eroded with a margin around the window, so a matte edge just outside it still counts.
    height, width = alpha.shape[:2]
    y0, x0 = max(0, window.y0 - inset), max(0, window.x0 - inset)
    opaque = (alpha[y0 : min(height, window.y1 + inset), x0 : min(width, window.x1 + inset)] > OPAQUE).astype(np.uint8)
    # The photo's own border is not a matte edge: cv2.erode leaves pixels there alone.
    eroded = cv2.erode(opaque, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * inset + 1, 2 * inset + 1)))
    return eroded[window.y0 - y0 : window.y1 - y0, window.x0 - x0 : window.x1 - x0].astype(bool)


def _opaque_lab(
    rgb: RGBImage,
    alpha: Matte,
    window: _Window,
    zone: np.ndarray,
    skin: Lab,
    not_skin_de: float,
    inset: int = 0,
) -> LabArray:
    pixels = window.crop(rgb)[zone & _inside_matte(alpha, window, inset)]
    # An evenly spread subset is as good as all of a large region for finding its main colour.
    lab = rgb_to_lab(_unclipped(pixels[:: max(1, -(-len(pixels) // MAX_REGION_SAMPLES))]))
    return lab[np.linalg.norm(lab - np.asarray(skin, np.float32), axis=1) > not_skin_de]


def _expanded(points: np.ndarray, margin: float) -> np.ndarray:
    """The polygon grown about its centre by ``margin`` of its height on every side."""
    centre = points.mean(axis=0)
    height = float(np.ptp(points[:, 1])) or 1.0
    size = np.ptp(points, axis=0).clip(min=1.0)
    return centre + (points - centre) * (1 + 2 * margin * height / size)


def measure_hair(rgb: RGBImage, alpha: Matte, landmarks: Landmarks, skin: Lab) -> Lab | None:
    x0, y0, x1, y1 = _face_box(landmarks)
    face_w, top = x1 - x0, float(landmarks[FOREHEAD_TOP, 1])
    reach = HAIR_REACH * face_w
    # Above and beside the face down to the chin, where long hair is often lit while the crown is in
    # shadow. Not lower: beside the neck are the shoulders, and a dark suit there outnumbers short hair.
    # The ears are skin and fall to the skin test.
    window = _Window.around(rgb.shape, x0 - reach, top - reach, x1 + reach, float(landmarks[CHIN, 1]))
    if window.empty:
        return None
    # The oval's top sits below most hairlines: the band just outside it is forehead seen through
    # thin or short hair, which would pass for lighter hair than the person has.
    face = window.polygon(_expanded(landmarks[list(FACE_OVAL)], HAIRLINE_MARGIN))
    inset = round(HAIR_MATTE_INSET * face_w)
    lab = _opaque_lab(rgb, alpha, window, ~face, skin, HAIR_NOT_SKIN_DE, inset)
    return _lit_colour(lab, max(MIN_REGION_PIXELS, round(MIN_HAIR_FRACTION * face_w * (y1 - y0))))


def measure_clothing(rgb: RGBImage, alpha: Matte, landmarks: Landmarks, skin: Lab) -> Lab | None:
    x0, y0, x1, y1 = _face_box(landmarks)
    face_w = x1 - x0
    chin = float(landmarks[CHIN, 1])
    face_h = chin - float(landmarks[FOREHEAD_TOP, 1])
    centre = (x0 + x1) / 2
    window = _Window.around(
        rgb.shape,
        centre - CLOTHING_REACH * face_w,
        chin + CLOTHING_BELOW_CHIN * face_h,
        centre + CLOTHING_REACH * face_w,
        chin + CLOTHING_DEPTH * face_h,
    )
    if window.empty:
        return None
    zone = np.ones(window.shape, bool)
    lab = _opaque_lab(rgb, alpha, window, zone, skin, CLOTHING_NOT_SKIN_DE)
    return _dominant(lab, max(MIN_REGION_PIXELS, round(MIN_CLOTHING_FRACTION * face_w * (y1 - y0))))


# --- Classification ------------------------------------------------------------------------------


def classify_undertone(skin: Lab) -> str:
    hue = hue_deg(skin)
    if hue >= WARM_HUE_MIN:
        return "warm"
    if hue <= COOL_HUE_MAX:
        return "cool"
    return "neutral"


def classify_value(skin: Lab, hair: Lab | None) -> str:
    lightness = skin[0] if hair is None else (1 - VALUE_HAIR_WEIGHT) * skin[0] + VALUE_HAIR_WEIGHT * hair[0]
    if lightness >= LIGHT_VALUE_MIN:
        return "light"
    if lightness <= DEEP_VALUE_MAX:
        return "deep"
    return "medium"


def classify_chroma(skin: Lab) -> str:
    return "bright" if chroma_of(skin) >= BRIGHT_CHROMA_MIN else "muted"


def classify_contrast(skin: Lab, hair: Lab | None, eyes: Lab | None) -> str:
    feature = hair if hair is not None else eyes
    if feature is None:
        return "medium"
    difference = abs(feature[0] - skin[0])
    if difference >= HIGH_CONTRAST_MIN:
        return "high"
    if difference <= LOW_CONTRAST_MAX:
        return "low"
    return "medium"


def classify_season(undertone: str, value: str, chroma: str, contrast: str, skin: Lab) -> str:
    # Within the neutral band, how far the hue leans either way still counts, a little: it breaks
    # what would otherwise be ties between a warm and a cool season.
    lean = _ramp(hue_deg(skin), COOL_HUE_MAX, WARM_HUE_MIN) * 2 - 1

    def score(season: str) -> float:
        if undertone == "neutral":
            warmth = lean if SEASON_UNDERTONE[season] == "warm" else -lean
            points = UNDERTONE_WEIGHT * (0.5 + 0.25 * warmth)
        else:
            points = UNDERTONE_WEIGHT * (undertone == SEASON_UNDERTONE[season])
        points += VALUE_WEIGHT * (0.5 if value == "medium" else float(value == SEASON_VALUE[season]))
        points += CHROMA_WEIGHT * (chroma == SEASON_CHROMA[season])
        points += CONTRAST_WEIGHT * SEASON_CONTRAST[contrast].get(season, 0.0)
        return points

    return max(SEASONS, key=score)


def _check_inputs(rgb: RGBImage, alpha: Matte, landmarks: Landmarks) -> None:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"rgb must be HxWx3 uint8, not {rgb.shape} {rgb.dtype}")
    if alpha.shape != rgb.shape[:2]:
        raise ValueError(f"alpha must be {rgb.shape[:2]}, not {alpha.shape}")
    if landmarks.ndim != 2 or landmarks.shape[1] != 2 or len(landmarks) < 468:
        raise ValueError(f"landmarks must be Nx2 face-mesh points with N >= 468, not {landmarks.shape}")


def _at_working_size(rgb: RGBImage, alpha: Matte, landmarks: Landmarks) -> tuple[RGBImage, Matte, Landmarks]:
    """Big faces shrunk to WORKING_FACE_HEIGHT: the statistics don't change, the cost stays bounded."""
    face_h = float(landmarks[CHIN, 1] - landmarks[FOREHEAD_TOP, 1])
    if face_h <= WORKING_FACE_HEIGHT:
        return rgb, alpha, landmarks
    scale = WORKING_FACE_HEIGHT / face_h
    size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
    return (
        cv2.resize(rgb, size, interpolation=cv2.INTER_AREA),
        cv2.resize(np.asarray(alpha, np.float32), size, interpolation=cv2.INTER_AREA),
        landmarks * np.float32(scale),
    )


def analyse_personal_colour(rgb: RGBImage, alpha: Matte, landmarks: Landmarks) -> ColourProfile:
    """Measure a matted portrait's colouring and classify it.

    ``rgb`` is HxWx3 uint8 RGB, ``alpha`` HxW 0..1 (1 = person) and ``landmarks`` the Nx2 pixel
    (x, y) face-mesh points (N = 478 with iris refinement; 468 works, with a coarser eye sample).
    """
    _check_inputs(rgb, alpha, landmarks)
    rgb, alpha, landmarks = _at_working_size(rgb, alpha, np.asarray(landmarks, np.float32))
    skin = measure_skin(rgb, landmarks)
    hair = measure_hair(rgb, alpha, landmarks, skin)
    eyes = measure_eyes(rgb, landmarks)
    undertone, value, chroma = classify_undertone(skin), classify_value(skin, hair), classify_chroma(skin)
    contrast = classify_contrast(skin, hair, eyes)
    return ColourProfile(
        skin_lab=skin,
        hair_lab=hair,
        eye_lab=eyes,
        lip_lab=measure_lips(rgb, landmarks),
        clothing_lab=measure_clothing(rgb, alpha, landmarks, skin),
        undertone=undertone,
        value=value,
        chroma=chroma,
        contrast=contrast,
        season=classify_season(undertone, value, chroma, contrast, skin),
    )


# --- Recommendation ------------------------------------------------------------------------------


def colour_name(lab: Lab) -> str:
    """A plain name for a measured colour ("dark navy", "orange", "light grey")."""
    lightness, chroma, hue = lab[0], chroma_of(lab), hue_deg(lab) % 360
    # Dark colours carry little chroma: a navy suit is about C* 10, a light grey shirt about 3.
    if chroma < 5.0 + 0.04 * lightness:
        if lightness < 20:
            return "black"
        if lightness < 38:
            return "charcoal"
        if lightness >= 93:
            return "white"
        return "light grey" if lightness >= 72 else "grey"
    # Lab hue angles of the sRGB primaries: red 40°, orange 70°, yellow 102°, green 136°, cyan 196°,
    # blue 306°; the bands are split about halfway between them.
    if hue < 25 or hue >= 345:
        base = "pink" if lightness >= 65 else "red"
    elif hue < 42:
        base = "pink" if lightness >= 70 else "red"
    elif hue < 85:
        base = "brown" if lightness < 45 else ("peach" if lightness >= 78 and chroma < 35 else "orange")
    elif hue < 115:
        base = "olive" if lightness < 55 else "yellow"
    elif hue < 170:
        base = "green"
    elif hue < 235:
        base = "teal"
    elif hue < 315:
        base = "navy" if lightness < 35 else "blue"
    else:
        base = "purple" if lightness < 65 else "lavender"
    if lightness < 25 or (lightness < 35 and base not in {"navy", "brown"}):
        return f"dark {base}"
    if lightness >= 75 and base not in {"pink", "peach", "lavender"}:
        return f"light {base}"
    return base


def hair_name(lab: Lab) -> str:
    lightness, chroma, hue = lab[0], chroma_of(lab), hue_deg(lab)
    if lightness < 22:
        return "black"
    if chroma < 8.0:
        if lightness >= 80:
            return "white"
        return "grey" if lightness >= 45 else "dark grey"
    # Copper hair measures at a hue of 52..55° in real photos; brown hair is yellower, from about 60°.
    if chroma >= 18 and hue < 58:
        return "auburn" if lightness < 50 else "red"
    # Blonde is yellow (b* above ~20); light hair with little yellow is grey, tinted by the light.
    if lightness >= 55 and lab[2] < 16:
        return "white" if lightness >= 80 else "silver"
    if lightness < 35:
        return "dark brown"
    if lightness < 50:
        return "brown"
    if lightness < 62:
        return "light brown"
    return "blonde"


def _palette_fit(profile: ColourProfile, palette: str) -> float:
    if palette == profile.season:
        return 1.0
    fit = SHARED_UNDERTONE_FIT * (SEASON_UNDERTONE[palette] == SEASON_UNDERTONE[profile.season])
    fit += SHARED_VALUE_FIT * (SEASON_VALUE[palette] == SEASON_VALUE[profile.season])
    fit += SHARED_CHROMA_FIT * (SEASON_CHROMA[palette] == SEASON_CHROMA[profile.season])
    if profile.undertone == "neutral" and SEASON_UNDERTONE[palette] != SEASON_UNDERTONE[profile.season]:
        fit += NEUTRAL_CROSS_FIT
    return fit


def _shared_traits(profile: ColourProfile, palette: str) -> list[str]:
    shared = []
    if SEASON_UNDERTONE[palette] == SEASON_UNDERTONE[profile.season] and profile.undertone != "neutral":
        shared.append(f"{profile.undertone} undertone")
    if SEASON_VALUE[palette] == profile.value:
        shared.append(f"{profile.value} value")
    if SEASON_CHROMA[palette] == profile.chroma:
        shared.append(f"{profile.chroma} chroma")
    return shared


def _hair_separation(hair: Lab | None, background: Lab) -> float:
    if hair is None:
        return 1.0
    separation = _ramp(delta_e(hair, background), *HAIR_DE)
    if hair[0] >= LIGHT_HAIR_L:
        separation *= 1 - _ramp(background[0], *LIGHT_HAIR_BACKGROUND_L)
    if hair[0] <= DARK_HAIR_L:
        separation *= 1 - _ramp(background[0], *DARK_HAIR_BACKGROUND_L)
    return separation


def _score(profile: ColourProfile, colour: PaletteColour, background: Lab) -> float:
    value_pref = 1 - min(1.0, abs(background[0] - VALUE_TARGET_L[profile.value]) / VALUE_PREF_SPAN)
    suitability = (FIT_WEIGHT * _palette_fit(profile, colour.palette) + VALUE_PREF_WEIGHT * value_pref) / (
        FIT_WEIGHT + VALUE_PREF_WEIGHT
    )
    clothing = 1.0 if profile.clothing_lab is None else _ramp(delta_e(profile.clothing_lab, background), *CLOTHING_DE)
    separation = (
        (CLOTHING_FLOOR + (1 - CLOTHING_FLOOR) * clothing)
        * (HAIR_FLOOR + (1 - HAIR_FLOOR) * _hair_separation(profile.hair_lab, background))
        * (SKIN_FLOOR + (1 - SKIN_FLOOR) * _ramp(delta_e(profile.skin_lab, background), *SKIN_DE))
    )
    return suitability * separation


def _reason(profile: ColourProfile, colour: PaletteColour, background: Lab) -> str:
    colouring = (
        f"your {profile.undertone}, {profile.value} colouring with {profile.chroma} chroma "
        f"and {profile.contrast} contrast reads as {profile.season}"
    )
    if colour.palette == profile.season:
        fit = f"{colouring}, so {SEASON_CHARACTER[profile.season]} like this one flatter you"
    elif shared := _shared_traits(profile, colour.palette):
        fit = f"{colouring}, and this {colour.palette} shade shares your {' and '.join(shared)}"
    else:
        fit = f"{colouring}, and your neutral undertone carries this {colour.palette} shade too"
    outline = []
    if profile.clothing_lab is not None:
        apart = (
            "stands well apart from"
            if delta_e(profile.clothing_lab, background) >= CLOTHING_DE[1]
            else "stays distinct from"
        )
        outline.append(f"it {apart} your {colour_name(profile.clothing_lab)} clothes")
    if profile.hair_lab is not None:
        edge = "crisp" if abs(profile.hair_lab[0] - background[0]) >= HAIR_DE[1] else "clear"
        outline.append(f"your {hair_name(profile.hair_lab)} hair keeps a {edge} outline against it")
    if not outline:
        outline.append("your face stands out clearly against it")
    return f"{colour.name[0].upper()}{colour.name[1:]}: {fit}; {' and '.join(outline)}."


def recommend_backgrounds(profile: ColourProfile, count: int = 6) -> list[BackgroundCandidate]:
    """Up to ``count`` distinct backgrounds for this person, best first (the palettes hold 28)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    scored = sorted(
        (
            (_score(profile, colour, background), order, colour, background)
            for order, (colour, background) in enumerate(zip(PALETTES, _PALETTE_LABS, strict=True))
        ),
        key=lambda item: (-item[0], item[1]),
    )
    chosen: list[tuple[float, PaletteColour, Lab]] = []
    for score, _, colour, background in scored:
        if all(delta_e(background, other) >= DISTINCT_DE for _, _, other in chosen):
            chosen.append((score, colour, background))
        if len(chosen) == count:
            break
    return [
        BackgroundCandidate(
            hex=colour.hex,
            rgb=hex_to_rgb(colour.hex),
            palette=colour.palette,
            reason=_reason(profile, colour, background),
            score=round(score, 4),
            name=colour.name,
        )
        for score, colour, background in chosen
    ]

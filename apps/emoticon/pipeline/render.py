"""Draws a personalised emoticon as a vector sticker (SVG), and rasterises it (PNG).

Everything in the SVG is computed here from numbers and validated ``#rrggbb`` colours, so a
spec can never inject markup into a document that browsers will render. Same spec, same bytes.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass, replace

import cairosvg

from .types import EMOTIONS, FRAME_SHAPES, GLASSES, EmoticonSpec

VIEW = 512  # the drawing's own coordinate system; `size` only scales it
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_MIN_SIZE, _MAX_SIZE = 16, 4096

# Fixed colours of the drawing (not user-controlled).
_INK_DARK = "#2a1d18"
_INK_LIGHT = "#fbf1e7"
_EYE = "#2a1d18"
_WHITE = "#ffffff"
_MOUTH = "#5c1a24"
_TONGUE = "#f07f8a"
_BLUSH = "#ff6f7d"
_TEAR = "#7cc4f4"
_MASK = "#d9ecf8"
_MASK_SHADE = "#b3d3ea"
_MASK_PLEAT = "#8db6d6"
_LOOP = "#eef4f8"
_FRAME_DARK = "#2b2a33"
_FRAME_GOLD = "#d6a84e"
_FRAME_BLACK = "#111317"
_LENS_TOP = "#141b26"
_LENS_BOTTOM = "#3d4d63"


# -- colour ---------------------------------------------------------------------------------------


def _valid_hex(value: str, what: str) -> str:
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise ValueError(f"{what} must be a #rrggbb colour")
    return value.lower()


def _rgb(hex_: str) -> tuple[int, int, int]:
    return int(hex_[1:3], 16), int(hex_[3:5], 16), int(hex_[5:7], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def _mix(a: str, b: str, t: float) -> str:
    """``a`` moved a fraction ``t`` of the way towards ``b``."""
    ra, rb = _rgb(a), _rgb(b)
    return _hex(tuple(x + (y - x) * t for x, y in zip(ra, rb, strict=True)))


def _luminance(hex_: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(hex_))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)))
    return (lb + 0.05) / (la + 0.05)


@dataclass(frozen=True)
class _Palette:
    skin: str
    skin_light: str
    skin_shadow: str
    outline: str
    ink: str  # brows, lids, mouth lines: dark on light skin, light on the darkest skins
    brow: str
    eye_rim: str | None  # on the darkest skins eyes get whites, or they would vanish
    frame: str  # eyeglasses
    hair: str | None


def _palette(skin: str, hair: str | None) -> _Palette:
    # Dark features read on Monk steps 1-7; from step 8 down they would vanish, so flip to light.
    dark_skin = _contrast(_INK_DARK, skin) < 2.5
    ink = _INK_LIGHT if dark_skin else _INK_DARK
    brow = ink
    if hair is not None:
        # Brows in the person's hair colour when that still stands out against the skin.
        hair_brow = _mix(hair, "#000000", 0.2)
        if _contrast(hair_brow, skin) >= 3.0:
            brow = hair_brow
    return _Palette(
        skin=skin,
        skin_light=_mix(skin, "#ffffff", 0.16),
        skin_shadow=_mix(skin, "#3a1410", 0.22),
        outline=_mix(skin, "#2a0e08", 0.38 if not dark_skin else 0.5),
        ink=ink,
        brow=brow,
        eye_rim=_INK_LIGHT if dark_skin else None,
        frame=_FRAME_GOLD if _contrast(_FRAME_DARK, skin) < 2.5 else _FRAME_DARK,
        hair=hair,
    )


# -- geometry -------------------------------------------------------------------------------------


def _clamp(x: float, lo: float, hi: float) -> float:
    if not isinstance(x, int | float) or not math.isfinite(x):
        raise ValueError("face shape values must be finite numbers")
    return max(lo, min(hi, x))


@dataclass(frozen=True)
class _Geo:
    cx: float
    top: float
    bottom: float
    half_w: float  # half the face width at its widest
    widest_y: float
    eye_y: float
    eye_dx: float  # centre to each eye
    eye_r: float  # eye half-width; the eye is taller than wide
    brow_y: float
    nose_y: float
    mouth_y: float
    mouth_hw: float  # half the mouth width

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def eye_ry(self) -> float:
        return self.eye_r * 1.35

    @property
    def lens_r(self) -> float:
        return _lens_radius(self.eye_r, self.eye_dx)


def _lens_radius(eye_r: float, eye_dx: float) -> float:
    # big enough for the widest eyes (fear), small enough to leave a bridge
    return min(eye_r * 1.95, eye_dx * 0.86)


def _geometry(spec: EmoticonSpec, glasses: str) -> _Geo:
    s = spec.shape
    # Real faces run 1.1-1.5 tall; an emoticon is rounder, so keep a softened share of the person's aspect.
    aspect = _clamp(1.0 + (s.aspect - 1.0) * 0.4, 0.95, 1.14)
    height = 420.0
    width = min(400.0, height / aspect)
    height = width * aspect
    cx = VIEW / 2
    top = VIEW / 2 + 6 - height / 2
    bottom = top + height
    half_w = width / 2
    # Cartoon proportions: eyes sit lower and mouth a touch higher than on a real face (the "cute" look),
    # and the person's own proportions move them by a softened share, so no face turns grotesque.
    eye_y = top + height * _clamp(0.5 + (s.eye_line - 0.32) * 0.6, 0.46, 0.55)
    mouth_y = top + height * _clamp(0.76 + (s.mouth_line - 0.75) * 0.6, 0.72, 0.81)
    mouth_y = max(mouth_y, eye_y + height * 0.23)
    eye_dx = width * _clamp(s.eye_spacing, 0.34, 0.5) / 2
    eye_r = width * _clamp(s.eye_size, 0.12, 0.19) * 0.42
    brow_y = eye_y - eye_r * 2.25
    if glasses != "none":
        # Brows sit above the rims rather than being crossed by them.
        brow_y = min(brow_y, eye_y - _lens_radius(eye_r, eye_dx) - eye_r * 0.75)
    return _Geo(
        cx=cx,
        top=top,
        bottom=bottom,
        half_w=half_w,
        widest_y=top + height * 0.48,
        eye_y=eye_y,
        eye_dx=eye_dx,
        eye_r=eye_r,
        brow_y=brow_y,
        nose_y=eye_y + (mouth_y - eye_y) * 0.55,
        mouth_y=mouth_y,
        mouth_hw=width * _clamp(s.mouth_width, 0.28, 0.5) * 0.62,
    )


# -- svg helpers ----------------------------------------------------------------------------------


def _n(x: float) -> str:
    text = f"{x:.1f}"
    return "0" if text in ("-0.0", "0.0") else text.removesuffix(".0")


def _pt(x: float, y: float) -> str:
    return f"{_n(x)} {_n(y)}"


def _attrs(attrs: dict[str, str | float]) -> str:
    parts = []
    for key, value in attrs.items():
        text = _n(value) if isinstance(value, float | int) else value
        parts.append(f'{key.rstrip("_").replace("_", "-")}="{text}"')
    return " ".join(parts)


def _el(tag: str, **attrs: str | float) -> str:
    return f"<{tag} {_attrs(attrs)}/>"


def _stroke(d: str, colour: str, width: float, **extra: str | float) -> str:
    return _el(
        "path",
        d=d,
        fill="none",
        stroke=colour,
        stroke_width=width,
        stroke_linecap="round",
        stroke_linejoin="round",
        **extra,
    )


def _face_path(g: _Geo, inset: float = 0.0) -> str:
    a = g.half_w - inset
    top, bottom, wy, cx = g.top + inset, g.bottom - inset, g.widest_y, g.cx
    up, down = wy - top, bottom - wy
    return (
        f"M{_pt(cx, top)}"
        f"C{_pt(cx + a * 0.6, top)} {_pt(cx + a, wy - up * 0.58)} {_pt(cx + a, wy)}"
        f"C{_pt(cx + a, wy + down * 0.56)} {_pt(cx + a * 0.66, bottom)} {_pt(cx, bottom)}"
        f"C{_pt(cx - a * 0.66, bottom)} {_pt(cx - a, wy + down * 0.56)} {_pt(cx - a, wy)}"
        f"C{_pt(cx - a, wy - up * 0.58)} {_pt(cx - a * 0.6, top)} {_pt(cx, top)}Z"
    )


def _cubic(p0: float, p1: float, p2: float, p3: float, t: float) -> float:
    u = 1 - t
    return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3


def _face_half_width_at(g: _Geo, y: float) -> float:
    """Half-width of the face outline (as drawn by `_face_path`) at height ``y``."""
    a, top, bottom, wy = g.half_w, g.top, g.bottom, g.widest_y
    up, down = wy - top, bottom - wy
    # the right-hand half of the outline: two cubic segments, top -> widest -> chin
    segments = (
        ((0.0, a * 0.6, a, a), (top, top, wy - up * 0.58, wy)),
        ((a, a, a * 0.66, 0.0), (wy, wy + down * 0.56, bottom, bottom)),
    )
    best_x, best_dy = 0.0, math.inf
    for xs, ys in segments:
        for i in range(65):
            t = i / 64
            dy = abs(_cubic(*ys, t) - y)
            if dy < best_dy:
                best_x, best_dy = _cubic(*xs, t), dy
    return best_x


def _radial(id_: str, cx: float, cy: float, r: float, stops: list[tuple[float, str, float]]) -> str:
    body = "".join(_el("stop", offset=o, stop_color=c, stop_opacity=a) for o, c, a in stops)
    return f'<radialGradient id="{id_}" gradientUnits="userSpaceOnUse" {_attrs({"cx": cx, "cy": cy, "r": r})}>{body}</radialGradient>'


def _linear(id_: str, x1: float, y1: float, x2: float, y2: float, stops: list[tuple[float, str, float]]) -> str:
    body = "".join(_el("stop", offset=o, stop_color=c, stop_opacity=a) for o, c, a in stops)
    coords = _attrs({"x1": x1, "y1": y1, "x2": x2, "y2": y2})
    return f'<linearGradient id="{id_}" gradientUnits="userSpaceOnUse" {coords}>{body}</linearGradient>'


def _clip(id_: str, d: str) -> str:
    return f'<clipPath id="{id_}"><path d="{d}"/></clipPath>'


def _group(clip_id: str, parts: list[str]) -> str:
    return f'<g clip-path="url(#{clip_id})">{"".join(parts)}</g>'


# -- face base and hair ---------------------------------------------------------------------------


def _face(g: _Geo, p: _Palette, defs: list[str]) -> list[str]:
    h, w = g.height, g.half_w * 2
    defs.append(
        _radial(
            "skin",
            g.cx - w * 0.1,
            g.top + h * 0.36,
            h * 0.72,
            [(0.0, p.skin_light, 1), (0.3, p.skin, 1), (0.78, p.skin, 1), (1.0, p.skin_shadow, 1)],
        )
    )
    defs.append(_linear("chin", 0, g.bottom - h * 0.3, 0, g.bottom, [(0, p.skin_shadow, 0), (1, p.skin_shadow, 0.55)]))
    # A white sheen greys dark skin, so it fades with the skin's lightness.
    sheen = 0.1 + 0.25 * min(1.0, _luminance(p.skin) / 0.5)
    defs.append(_radial("sheen", g.cx - w * 0.14, g.top + h * 0.2, w * 0.3, [(0, "#ffffff", sheen), (1, "#ffffff", 0)]))
    defs.append(_clip("face-clip", _face_path(g)))
    face = _face_path(g)
    return [
        _el("path", d=face, fill="url(#skin)"),
        _group(
            "face-clip",
            [
                _el("rect", x=0, y=g.bottom - h * 0.3, width=VIEW, height=h * 0.3, fill="url(#chin)"),
                _el("ellipse", cx=g.cx - w * 0.14, cy=g.top + h * 0.2, rx=w * 0.3, ry=h * 0.14, fill="url(#sheen)"),
            ],
        ),
    ]


def _outline(g: _Geo, p: _Palette) -> str:
    return _el("path", d=_face_path(g, 3.0), fill="none", stroke=p.outline, stroke_width=6.5, stroke_opacity=0.85)


def _hair(g: _Geo, p: _Palette, defs: list[str]) -> list[str]:
    if p.hair is None:
        return []
    hair_light, hair_dark = _mix(p.hair, "#ffffff", 0.28), _mix(p.hair, "#000000", 0.35)
    # Dark strands vanish in black hair; there, draw them as highlights instead.
    strand = hair_dark if _luminance(p.hair) > 0.03 else hair_light
    h, a, cx, top = g.height, g.half_w, g.cx, g.top
    out = 10.0  # volume outside the skull line
    # The fringe stays clear of the highest brows (surprise), so the hair is the same for every emotion.
    # (With very large eyes that would leave a receding hairline; then the brows may touch the fringe.)
    fringe_y = _clamp(g.brow_y - g.eye_r * 1.95 - h * 0.035, top + h * 0.17, top + h * 0.27)
    burn_y = top + h * 0.47  # sideburn tips, level with the widest part of the face
    burn_in = a - 20
    d = (
        f"M{_pt(cx - a - out * 0.3, burn_y)}"
        f"C{_pt(cx - a - out * 1.2, top + h * 0.16)} {_pt(cx - a * 0.62, top - out * 1.5)} {_pt(cx + a * 0.04, top - out * 1.4)}"
        f"C{_pt(cx + a * 0.66, top - out * 1.3)} {_pt(cx + a + out * 1.2, top + h * 0.16)} {_pt(cx + a + out * 0.3, burn_y)}"
        # right sideburn tip, then up the temple to the fringe
        f"Q{_pt(cx + a - 6, burn_y + 10)} {_pt(cx + burn_in, burn_y - 4)}"
        f"C{_pt(cx + burn_in + 2, fringe_y + h * 0.1)} {_pt(cx + a * 0.84, fringe_y + h * 0.02)} {_pt(cx + a * 0.66, fringe_y)}"
        # two side-swept locks ending in soft points, then up to a parting on the viewer's left
        f"C{_pt(cx + a * 0.48, fringe_y + h * 0.03)} {_pt(cx + a * 0.3, fringe_y + h * 0.045)} {_pt(cx + a * 0.08, fringe_y + h * 0.055)}"
        f"C{_pt(cx + a * 0.08, fringe_y + h * 0.01)} {_pt(cx - a * 0.1, fringe_y - h * 0.03)} {_pt(cx - a * 0.3, fringe_y - h * 0.05)}"
        f"C{_pt(cx - a * 0.36, fringe_y - h * 0.02)} {_pt(cx - a * 0.5, fringe_y + h * 0.0)} {_pt(cx - a * 0.66, fringe_y + h * 0.0)}"
        f"C{_pt(cx - a * 0.84, fringe_y + h * 0.02)} {_pt(cx - burn_in - 2, fringe_y + h * 0.1)} {_pt(cx - burn_in, burn_y - 4)}"
        f"Q{_pt(cx - a + 6, burn_y + 10)} {_pt(cx - a - out * 0.3, burn_y)}Z"
    )
    defs.append(
        _linear(
            "hair",
            0,
            top - out,
            0,
            burn_y,
            [(0, hair_light, 1), (0.4, p.hair, 1), (1, _mix(p.hair, hair_dark, 0.6), 1)],
        )
    )
    shine = (
        f"M{_pt(cx - a * 0.66, top + h * 0.11)}"
        f"Q{_pt(cx - a * 0.4, top + h * 0.005)} {_pt(cx - a * 0.04, top + h * 0.01)}"
    )
    strands = (
        f"M{_pt(cx - a * 0.3, fringe_y - h * 0.05)}Q{_pt(cx - a * 0.05, top + h * 0.08)} {_pt(cx + a * 0.36, top + h * 0.05)}"
        f"M{_pt(cx + a * 0.08, fringe_y + h * 0.05)}Q{_pt(cx + a * 0.3, fringe_y - h * 0.04)} {_pt(cx + a * 0.62, top + h * 0.1)}"
    )
    return [
        _el("path", d=d, fill="url(#hair)", stroke=hair_dark, stroke_width=5, stroke_linejoin="round"),
        _stroke(strands, strand, 4, stroke_opacity=0.45),
        _stroke(shine, hair_light, 7, stroke_opacity=0.65),
    ]


# -- eyes -----------------------------------------------------------------------------------------

# Each eye drawer gets the eye centre and `side` = -1 for the viewer's left eye, +1 for the right,
# so "inner" (towards the nose) is -side.


def _dot_eye(g: _Geo, p: _Palette, ex: float, ey: float) -> list[str]:
    """The resting eye: a glossy dark oval (on the darkest skins, a large iris in a white)."""
    rx, ry = g.eye_r, g.eye_ry
    if p.eye_rim:
        return [
            _el("ellipse", cx=ex, cy=ey, rx=rx, ry=ry, fill=p.eye_rim),
            _el("ellipse", cx=ex, cy=ey + ry * 0.1, rx=rx * 0.74, ry=ry * 0.78, fill=_EYE),
            _el("ellipse", cx=ex + rx * 0.24, cy=ey - ry * 0.22, rx=rx * 0.26, ry=rx * 0.26, fill=_WHITE),
        ]
    return [
        _el("ellipse", cx=ex, cy=ey, rx=rx, ry=ry, fill=_EYE),
        _el("ellipse", cx=ex + rx * 0.32, cy=ey - ry * 0.38, rx=rx * 0.34, ry=rx * 0.34, fill=_WHITE),
        _el("ellipse", cx=ex - rx * 0.3, cy=ey + ry * 0.4, rx=rx * 0.15, ry=rx * 0.15, fill=_WHITE, fill_opacity=0.8),
    ]


def _lidded_eye(
    g: _Geo, p: _Palette, ex: float, ey: float, side: int, inner: float, outer: float, clip_id: str, defs: list[str]
) -> list[str]:
    """A dot eye cut by a straight upper lid; ``inner``/``outer`` are lid heights in eye heights above centre."""
    r, ry = g.eye_r, g.eye_ry
    x_in, x_out = ex - side * r * 1.5, ex + side * r * 1.5
    y_in, y_out = ey - inner * ry, ey - outer * ry
    below = f"M{_pt(x_in, y_in)}L{_pt(x_out, y_out)}L{_pt(x_out, ey + ry * 2)}L{_pt(x_in, ey + ry * 2)}Z"
    defs.append(_clip(clip_id, below))
    lid_in = ex - side * r * 1.15
    lid_out = ex + side * r * 1.15

    def lid_at(x: float) -> float:
        return y_in + (y_out - y_in) * (x - x_in) / (x_out - x_in)

    lid = f"M{_pt(lid_in, lid_at(lid_in))}L{_pt(lid_out, lid_at(lid_out))}"
    return [_group(clip_id, _dot_eye(g, p, ex, ey)), _stroke(lid, p.ink, g.eye_r * 0.32)]


def _arc_eye(g: _Geo, p: _Palette, ex: float, ey: float) -> list[str]:
    r = g.eye_r
    d = f"M{_pt(ex - r * 1.15, ey + r * 0.35)}Q{_pt(ex, ey - r * 1.55)} {_pt(ex + r * 1.15, ey + r * 0.35)}"
    return [_stroke(d, p.ink, r * 0.5)]


def _round_eye(g: _Geo, p: _Palette, ex: float, ey: float) -> list[str]:
    """Big, perfectly round eyes: the startled look."""
    r = g.eye_r * 1.18
    if p.eye_rim:
        return [
            _el("circle", cx=ex, cy=ey, r=r, fill=p.eye_rim),
            _el("circle", cx=ex, cy=ey + r * 0.08, r=r * 0.72, fill=_EYE),
            _el("circle", cx=ex + r * 0.24, cy=ey - r * 0.16, r=r * 0.24, fill=_WHITE),
        ]
    return [
        _el("circle", cx=ex, cy=ey, r=r, fill=_EYE),
        _el("circle", cx=ex + r * 0.32, cy=ey - r * 0.32, r=r * 0.34, fill=_WHITE),
        _el("circle", cx=ex - r * 0.34, cy=ey + r * 0.36, r=r * 0.14, fill=_WHITE, fill_opacity=0.8),
    ]


def _wide_eye(g: _Geo, p: _Palette, ex: float, ey: float, pupil: float, look_down: float = 0.0) -> list[str]:
    r = g.eye_r * 1.12
    ry = r * 1.22
    pr = g.eye_r * pupil
    return [
        _el("ellipse", cx=ex, cy=ey, rx=r, ry=ry, fill=_WHITE, stroke=p.ink, stroke_width=g.eye_r * 0.22),
        _el("ellipse", cx=ex, cy=ey + look_down * ry, rx=pr, ry=pr * 1.08, fill=_EYE),
        _el("ellipse", cx=ex + pr * 0.35, cy=ey + look_down * ry - pr * 0.4, rx=pr * 0.36, ry=pr * 0.36, fill=_WHITE),
    ]


def _slit_eye(
    g: _Geo, p: _Palette, ex: float, ey: float, side: int, inner: float, outer: float, clip_id: str, defs: list[str]
) -> list[str]:
    """A squinted eye: the dot eye squeezed between a straight upper lid and a lower lid pushed up by the cheek."""
    r, ry = g.eye_r, g.eye_ry
    x_in, x_out = ex - side * r * 1.5, ex + side * r * 1.5
    y_in, y_out = ey - inner * ry, ey - outer * ry
    low = ey + ry * 0.3
    slit = f"M{_pt(x_in, y_in)}L{_pt(x_out, y_out)}L{_pt(x_out, low)}Q{_pt(ex, low - ry * 0.5)} {_pt(x_in, low)}Z"
    defs.append(_clip(clip_id, slit))

    def lid_at(x: float) -> float:
        return y_in + (y_out - y_in) * (x - x_in) / (x_out - x_in)

    lid_in, lid_out = ex - side * r * 1.15, ex + side * r * 1.15
    lid = f"M{_pt(lid_in, lid_at(lid_in))}L{_pt(lid_out, lid_at(lid_out))}"
    cheek = f"M{_pt(ex - r * 1.0, ey + ry * 0.28)}Q{_pt(ex, ey + ry * 0.02)} {_pt(ex + r * 1.0, ey + ry * 0.28)}"
    return [
        _group(clip_id, _dot_eye(g, p, ex, ey)),
        _stroke(lid, p.ink, g.eye_r * 0.32),
        _stroke(cheek, p.ink, g.eye_r * 0.2),
    ]


# -- brows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Brow:
    inner: float  # height of the inner end above the brow line, in eye radii
    outer: float
    arch: float  # how far the middle bows up
    shift: float = 0.0  # towards the nose, in eye radii
    thick: float = 0.42


_BROWS: dict[str, tuple[_Brow, _Brow]] = {  # (viewer's left, viewer's right)
    "angry": (_Brow(-0.55, 0.45, 0.05, 0.2, 0.5), _Brow(-0.55, 0.45, 0.05, 0.2, 0.5)),
    "disgust": (_Brow(-0.45, 0.25, 0.0, 0.1, 0.46), _Brow(0.15, 0.45, 0.3, 0.0, 0.42)),
    "fear": (_Brow(0.75, 0.0, 0.1, 0.3, 0.42), _Brow(0.75, 0.0, 0.1, 0.3, 0.42)),
    "happy": (_Brow(0.3, 0.3, 0.45), _Brow(0.3, 0.3, 0.45)),
    "sad": (_Brow(0.65, -0.3, 0.15, 0.1), _Brow(0.65, -0.3, 0.15, 0.1)),
    "surprise": (_Brow(0.95, 0.85, 0.75, -0.05), _Brow(0.95, 0.85, 0.75, -0.05)),
    "neutral": (_Brow(0.05, 0.1, 0.28), _Brow(0.05, 0.1, 0.28)),
}


def _brows(emotion: str, g: _Geo, p: _Palette) -> list[str]:
    parts = []
    r = g.eye_r
    for side, brow in zip((-1, 1), _BROWS[emotion], strict=True):
        ex = g.cx + side * g.eye_dx - side * brow.shift * r
        x_in, x_out = ex - side * r * 1.15, ex + side * r * 1.2
        y_in, y_out = g.brow_y - brow.inner * r, g.brow_y - brow.outer * r
        mid = ((x_in + x_out) / 2, (y_in + y_out) / 2 - brow.arch * r)
        d = f"M{_pt(x_in, y_in)}Q{_pt(*mid)} {_pt(x_out, y_out)}"
        parts.append(_stroke(d, p.brow, r * brow.thick))
    return parts


# -- mouths ---------------------------------------------------------------------------------------


def _open_smile(g: _Geo, p: _Palette, defs: list[str]) -> list[str]:
    cx, my, mw = g.cx, g.mouth_y, g.mouth_hw
    top_y = my - mw * 0.16
    d = (
        f"M{_pt(cx - mw, top_y)}"
        f"Q{_pt(cx, top_y + mw * 0.16)} {_pt(cx + mw, top_y)}"
        f"C{_pt(cx + mw * 0.92, my + mw * 0.7)} {_pt(cx - mw * 0.92, my + mw * 0.7)} {_pt(cx - mw, top_y)}Z"
    )
    defs.append(_clip("mouth-clip", d))
    return [
        _el("path", d=d, fill=_MOUTH),
        _group(
            "mouth-clip",
            [
                _el("rect", x=cx - mw, y=top_y - 10, width=mw * 2, height=mw * 0.3 + 10, fill=_WHITE),
                _el("ellipse", cx=cx, cy=my + mw * 0.6, rx=mw * 0.55, ry=mw * 0.3, fill=_TONGUE),
            ],
        ),
        _el("path", d=d, fill="none", stroke=p.ink, stroke_width=5, stroke_linejoin="round"),
    ]


def _line_mouth(g: _Geo, p: _Palette, width: float, curve: float, drop: float = 0.0, thick: float = 8.0) -> list[str]:
    """A closed mouth: ``curve`` > 0 smiles, < 0 frowns; ``drop`` lowers the corners (in mouth half-widths)."""
    cx, my, mw = g.cx, g.mouth_y, g.mouth_hw * width
    corner = my + drop * g.mouth_hw
    d = f"M{_pt(cx - mw, corner)}Q{_pt(cx, corner + curve * g.mouth_hw * 2)} {_pt(cx + mw, corner)}"
    return [_stroke(d, p.ink, thick)]


def _mouth(emotion: str, g: _Geo, p: _Palette, defs: list[str]) -> list[str]:
    cx, my, mw = g.cx, g.mouth_y, g.mouth_hw
    if emotion == "happy":
        return _open_smile(g, p, defs)
    if emotion == "neutral":
        return _line_mouth(g, p, 0.55, 0.04)
    if emotion == "sad":
        return _line_mouth(g, p, 0.62, -0.26, drop=0.18)
    if emotion == "angry":
        # a tight, flattened frown with the corners pulled hard down
        d = (
            f"M{_pt(cx - mw * 0.52, my + mw * 0.2)}"
            f"C{_pt(cx - mw * 0.42, my - mw * 0.06)} {_pt(cx + mw * 0.42, my - mw * 0.06)} {_pt(cx + mw * 0.52, my + mw * 0.2)}"
        )
        return [_stroke(d, p.ink, 11)]
    if emotion == "surprise":
        rx, ry = mw * 0.3, mw * 0.4
        o = _el("ellipse", cx=cx, cy=my + mw * 0.05, rx=rx, ry=ry, fill=_MOUTH, stroke=p.ink, stroke_width=5)
        tongue = _el("ellipse", cx=cx, cy=my + mw * 0.05 + ry * 0.55, rx=rx * 0.6, ry=ry * 0.3, fill=_TONGUE)
        return [o, tongue]
    if emotion == "fear":
        # an open, stretched grimace: corners pulled down and out, teeth showing
        top_y, bot_y = my - mw * 0.14, my + mw * 0.32
        d = (
            f"M{_pt(cx - mw * 0.8, bot_y)}"
            f"C{_pt(cx - mw * 0.8, top_y - mw * 0.06)} {_pt(cx - mw * 0.4, top_y)} {_pt(cx, top_y)}"
            f"C{_pt(cx + mw * 0.4, top_y)} {_pt(cx + mw * 0.8, top_y - mw * 0.06)} {_pt(cx + mw * 0.8, bot_y)}"
            f"C{_pt(cx + mw * 0.5, bot_y - mw * 0.06)} {_pt(cx - mw * 0.5, bot_y - mw * 0.06)} {_pt(cx - mw * 0.8, bot_y)}Z"
        )
        defs.append(_clip("mouth-clip", d))
        teeth = _el("rect", x=cx - mw, y=top_y - 4, width=mw * 2, height=mw * 0.17 + 4, fill=_WHITE)
        return [
            _el("path", d=d, fill=_MOUTH),
            _group("mouth-clip", [teeth]),
            _el("path", d=d, fill="none", stroke=p.ink, stroke_width=5, stroke_linejoin="round"),
        ]
    # disgust: a wavy, lopsided sneer, the upper lip hitched up on the viewer's right, with a crease
    d = (
        f"M{_pt(cx - mw * 0.6, my + mw * 0.1)}"
        f"C{_pt(cx - mw * 0.38, my - mw * 0.1)} {_pt(cx - mw * 0.15, my + mw * 0.18)} {_pt(cx + mw * 0.12, my + mw * 0.04)}"
        f"S{_pt(cx + mw * 0.42, my - mw * 0.26)} {_pt(cx + mw * 0.6, my - mw * 0.22)}"
    )
    crease = f"M{_pt(cx + mw * 0.7, my - mw * 0.36)}Q{_pt(cx + mw * 0.8, my - mw * 0.2)} {_pt(cx + mw * 0.7, my - mw * 0.06)}"
    return [_stroke(d, p.ink, 9), _stroke(crease, p.ink, 5)]


# -- emotion extras -------------------------------------------------------------------------------


def _drop(x: float, y: float, size: float, colour: str) -> list[str]:
    d = (
        f"M{_pt(x, y - size * 1.6)}"
        f"C{_pt(x + size * 0.3, y - size * 0.9)} {_pt(x + size, y - size * 0.3)} {_pt(x + size, y + size * 0.2)}"
        f"A{_pt(size, size)} 0 0 1 {_pt(x - size, y + size * 0.2)}"
        f"C{_pt(x - size, y - size * 0.3)} {_pt(x - size * 0.3, y - size * 0.9)} {_pt(x, y - size * 1.6)}Z"
    )
    return [
        _el("path", d=d, fill=colour, stroke=_mix(colour, "#1b4f8a", 0.45), stroke_width=3),
        _el("ellipse", cx=x - size * 0.4, cy=y, rx=size * 0.22, ry=size * 0.32, fill=_WHITE, fill_opacity=0.85),
    ]


def _blush(g: _Geo, defs: list[str]) -> list[str]:
    defs.append(_radial("blush", 0, 0, 1, [(0, _BLUSH, 0.55), (0.6, _BLUSH, 0.3), (1, _BLUSH, 0)]))
    parts = []
    for side in (-1, 1):
        x = g.cx + side * (g.eye_dx + g.eye_r * 0.6)
        y = g.eye_y + g.eye_r * 2.2
        rx, ry = g.eye_r * 1.5, g.eye_r * 0.95
        # a unit circle scaled into an oval, so the round gradient becomes an oval glow
        transform = f"translate({_pt(x, y)}) scale({_pt(rx, ry)})"
        parts.append(_el("ellipse", cx=0, cy=0, rx=1, ry=1, fill="url(#blush)", transform=transform))
    return parts


def _nose(g: _Geo, p: _Palette) -> list[str]:
    w = g.half_w * 0.09
    d = f"M{_pt(g.cx - w, g.nose_y)}Q{_pt(g.cx, g.nose_y + w * 0.75)} {_pt(g.cx + w, g.nose_y)}"
    return [_stroke(d, p.skin_shadow, 6, stroke_opacity=0.85)]


def _wrinkles(g: _Geo, p: _Palette) -> list[str]:
    """The scrunched bridge of the nose: stacked chevrons between the eyes."""
    r, cx = g.eye_r, g.cx
    parts = []
    for i in range(3):
        w = r * (0.62 - i * 0.1)
        y = g.eye_y + r * (0.1 + 0.42 * i)
        parts.append(
            _stroke(f"M{_pt(cx - w, y + r * 0.12)}Q{_pt(cx, y - r * 0.3)} {_pt(cx + w, y + r * 0.12)}", p.ink, 4.5)
        )
    return parts


def _eyes(emotion: str, g: _Geo, p: _Palette, defs: list[str]) -> list[str]:
    parts: list[str] = []
    for side in (-1, 1):
        ex, ey = g.cx + side * g.eye_dx, g.eye_y
        tag = "l" if side < 0 else "r"
        if emotion == "happy":
            parts += _arc_eye(g, p, ex, ey)
        elif emotion == "angry":
            parts += _lidded_eye(g, p, ex, ey + g.eye_r * 0.1, side, 0.05, 0.62, f"lid-{tag}", defs)
        elif emotion == "sad":
            parts += _lidded_eye(g, p, ex, ey + g.eye_r * 0.1, side, 0.55, -0.05, f"lid-{tag}", defs)
        elif emotion == "fear":
            parts += _wide_eye(g, p, ex, ey, pupil=0.42, look_down=0.08)
        elif emotion == "surprise":
            parts += _round_eye(g, p, ex, ey - g.eye_r * 0.15)
        elif emotion == "disgust":
            # the viewer's left eye, under the lowered brow, squeezes tighter
            inner, outer = (0.05, 0.3) if side < 0 else (0.3, 0.35)
            parts += _slit_eye(g, p, ex, ey, side, inner, outer, f"lid-{tag}", defs)
        else:
            parts += _dot_eye(g, p, ex, ey)
    return parts


# -- accessories ----------------------------------------------------------------------------------


def _mask(g: _Geo, defs: list[str]) -> list[str]:
    cx, a = g.cx, g.half_w
    top_y = g.eye_y + g.eye_ry + g.eye_r * 0.55
    peak = top_y - g.eye_r * 0.45
    inset = 12.0
    body_d = (
        f"M{_pt(cx - a - 10, top_y + 18)}"
        f"Q{_pt(cx - a * 0.45, top_y - 4)} {_pt(cx, peak)}"
        f"Q{_pt(cx + a * 0.45, top_y - 4)} {_pt(cx + a + 10, top_y + 18)}"
        f"L{_pt(cx + a + 10, VIEW)}L{_pt(cx - a - 10, VIEW)}Z"
    )
    defs.append(_clip("mask-face", _face_path(g, inset)))
    defs.append(_linear("mask", 0, peak, 0, g.bottom, [(0, _WHITE, 1), (0.25, _MASK, 1), (1, _MASK_SHADE, 1)]))
    pleats = []
    span = g.bottom - top_y
    for i, f in enumerate((0.3, 0.5, 0.7)):
        y = top_y + span * f * 0.8 + 4
        sag = 6 + i * 3
        pleats.append(_stroke(f"M{_pt(cx - a, y)}Q{_pt(cx, y + sag)} {_pt(cx + a, y)}", _MASK_PLEAT, 4))
    edge = (
        f"M{_pt(cx - a - 10, top_y + 18)}"
        f"Q{_pt(cx - a * 0.45, top_y - 4)} {_pt(cx, peak)}"
        f"Q{_pt(cx + a * 0.45, top_y - 4)} {_pt(cx + a + 10, top_y + 18)}"
    )
    straps = []
    for side in (-1, 1):
        # Straps run from the mask's corners up to where the ear would be, like the 😷 emoji's.
        ear_y = g.eye_y + g.eye_r * 0.9
        ear_x = cx + side * (_face_half_width_at(g, ear_y) - 4)
        y0, y1 = top_y + 16, top_y + span * 0.55
        x0 = cx + side * (_face_half_width_at(g, y0) - inset - 2)
        x1 = cx + side * (_face_half_width_at(g, y1) - inset - 2)
        d = (
            f"M{_pt(x0, y0)}Q{_pt(ear_x - side * 6, (y0 + ear_y) / 2)} {_pt(ear_x, ear_y)}"
            f"M{_pt(x1, y1)}Q{_pt(ear_x + side * 2, (y1 + ear_y) / 2)} {_pt(ear_x, ear_y)}"
        )
        straps.append(_stroke(d, _MASK_PLEAT, 8))
        straps.append(_stroke(d, _LOOP, 4.5))
    return [
        _group(
            "mask-face",
            [
                _el("path", d=body_d, fill="url(#mask)"),
                *pleats,
                _stroke(edge, _MASK_PLEAT, 5),
            ],
        ),
        *straps,
    ]


def _lens_path(g: _Geo, shape: str, ex: float, ey: float, side: int, sun: bool) -> str:
    r = g.lens_r
    if shape == "square":
        hw, hh = r * 1.08, r * 0.82
        if sun:  # wayfarer: the top wider than the bottom
            return (
                f"M{_pt(ex - hw * 1.05, ey - hh)}L{_pt(ex + hw * 1.05, ey - hh)}"
                f"Q{_pt(ex + hw, ey + hh * 0.9)} {_pt(ex + hw * 0.6, ey + hh)}"
                f"L{_pt(ex - hw * 0.6, ey + hh)}Q{_pt(ex - hw, ey + hh * 0.9)} {_pt(ex - hw * 1.05, ey - hh)}Z"
            )
        c = r * 0.3
        return (
            f"M{_pt(ex - hw + c, ey - hh)}H{_n(ex + hw - c)}Q{_pt(ex + hw, ey - hh)} {_pt(ex + hw, ey - hh + c)}"
            f"V{_n(ey + hh - c)}Q{_pt(ex + hw, ey + hh)} {_pt(ex + hw - c, ey + hh)}"
            f"H{_n(ex - hw + c)}Q{_pt(ex - hw, ey + hh)} {_pt(ex - hw, ey + hh - c)}"
            f"V{_n(ey - hh + c)}Q{_pt(ex - hw, ey - hh)} {_pt(ex - hw + c, ey - hh)}Z"
        )
    if sun:  # aviator teardrop, deepest towards the nose
        hw = r * 1.1
        x_in, x_out = ex - side * hw, ex + side * hw
        return (
            f"M{_pt(x_in, ey - r * 0.8)}"
            f"Q{_pt(ex, ey - r * 1.02)} {_pt(x_out, ey - r * 0.82)}"
            f"C{_pt(ex + side * hw * 1.12, ey + r * 0.1)} {_pt(ex + side * hw * 0.35, ey + r * 1.05)} {_pt(ex - side * hw * 0.25, ey + r * 0.98)}"
            f"C{_pt(ex - side * hw * 0.9, ey + r * 0.92)} {_pt(x_in - side * 4, ey - r * 0.05)} {_pt(x_in, ey - r * 0.8)}Z"
        )
    return f"M{_pt(ex - r, ey)}A{_pt(r, r)} 0 1 1 {_pt(ex + r, ey)}A{_pt(r, r)} 0 1 1 {_pt(ex - r, ey)}Z"


def _glasses(spec: EmoticonSpec, g: _Geo, p: _Palette, defs: list[str]) -> list[str]:
    sun = spec.glasses == "sunglasses"
    shape = spec.frame_shape if spec.frame_shape != "none" else "round"
    r, ey = g.lens_r, g.eye_y
    if sun:
        frame = _FRAME_BLACK if shape == "square" else _FRAME_GOLD  # black wayfarers, gold aviators
        defs.append(_linear("lens", 0, ey - r, 0, ey + r, [(0, _LENS_TOP, 1), (1, _LENS_BOTTOM, 1)]))
    else:
        frame = p.frame
    width = 7.0 if shape == "square" else 6.0
    half = r * 1.08 if shape == "square" else (r * 1.1 if sun else r)  # lens half-width
    tint = 0.16 * min(1.0, _luminance(p.skin) / 0.4)  # a white tint on clear lenses would grey dark skin
    lenses, glare, frames = [], [], []
    for side in (-1, 1):
        ex = g.cx + side * g.eye_dx
        d = _lens_path(g, shape, ex, ey, side, sun)
        lenses.append(_el("path", d=d, fill="url(#lens)" if sun else _WHITE, fill_opacity=0.96 if sun else tint))
        frames.append(_el("path", d=d, fill="none", stroke=frame, stroke_width=width, stroke_linejoin="round"))
        if sun:
            clip_id = f"lens-{'l' if side < 0 else 'r'}"
            defs.append(_clip(clip_id, d))
            gx, gy = ex - r * 0.45, ey - r * 0.25
            band = (
                f"M{_pt(gx - r, gy + r * 0.1)}L{_pt(gx + r * 0.1, gy - r)}L{_pt(gx + r * 0.45, gy - r)}"
                f"L{_pt(gx - r * 0.65, gy + r * 0.1)}Z"
            )
            glare.append(_group(clip_id, [_el("path", d=band, fill=_WHITE, fill_opacity=0.28)]))
            glare.append(_el("circle", cx=ex + r * 0.45, cy=ey + r * 0.35, r=r * 0.12, fill=_WHITE, fill_opacity=0.55))
        else:
            arc = f"M{_pt(ex - r * 0.62, ey - r * 0.05)}Q{_pt(ex - r * 0.55, ey - r * 0.55)} {_pt(ex - r * 0.1, ey - r * 0.62)}"
            glare.append(_stroke(arc, _WHITE, 4.5, stroke_opacity=0.75))
    parts = [*lenses, *glare, *frames]
    x_l, x_r = g.cx - g.eye_dx + half, g.cx + g.eye_dx - half
    bridge_y = ey - r * (0.45 if sun and shape != "square" else 0.25)
    parts.append(
        _stroke(f"M{_pt(x_l - 2, bridge_y)}Q{_pt(g.cx, bridge_y - r * 0.3)} {_pt(x_r + 2, bridge_y)}", frame, width)
    )
    if sun and shape != "square":  # the aviator's top bar
        bar_y = ey - r * 0.9
        parts.append(_stroke(f"M{_pt(x_l - 4, bar_y)}L{_pt(x_r + 4, bar_y)}", frame, 4.5))
    arm_y = ey - r * (0.6 if shape == "square" else 0.55)
    for side in (-1, 1):
        start = g.cx + side * (g.eye_dx + half - 3)
        end = g.cx + side * (_face_half_width_at(g, arm_y) - 2)
        parts.append(_stroke(f"M{_pt(start, arm_y)}L{_pt(end, arm_y - 3)}", frame, width))
    return parts


# -- public interface -----------------------------------------------------------------------------


def _validate(spec: EmoticonSpec) -> None:
    if spec.emotion not in EMOTIONS:
        raise ValueError(f"unknown emotion {spec.emotion!r}")
    if spec.glasses not in GLASSES:
        raise ValueError(f"unknown glasses {spec.glasses!r}")
    if spec.frame_shape not in FRAME_SHAPES:
        raise ValueError(f"unknown frame shape {spec.frame_shape!r}")


def _check_size(size: int) -> int:
    if not isinstance(size, int) or isinstance(size, bool) or not _MIN_SIZE <= size <= _MAX_SIZE:
        raise ValueError(f"size must be an integer in {_MIN_SIZE}..{_MAX_SIZE}")
    return size


def render_svg(spec: EmoticonSpec, size: int = 512) -> str:
    """A standalone SVG document (viewBox 0 0 512 512, transparent background) drawing ``spec``."""
    _validate(spec)
    size = _check_size(size)
    skin = _valid_hex(spec.skin_hex, "skin_hex")
    hair = None if spec.hair_hex is None else _valid_hex(spec.hair_hex, "hair_hex")
    p = _palette(skin, hair)
    g = _geometry(spec, spec.glasses)
    defs: list[str] = []
    body: list[str] = _face(g, p, defs)
    if spec.emotion == "happy":
        body += _blush(g, defs)
    if not spec.mask:
        body += _nose(g, p)
        if spec.emotion == "disgust":
            body += _wrinkles(g, p)
        body += _mouth(spec.emotion, g, p, defs)
    if spec.glasses != "sunglasses":
        body += _eyes(spec.emotion, g, p, defs)
    if spec.mask:
        body += _mask(g, defs)
        if spec.emotion == "disgust":
            body += _wrinkles(g, p)
    body.append(_outline(g, p))
    body += _hair(g, p, defs)
    if spec.glasses != "none":
        body += _glasses(spec, g, p, defs)
    body += _brows(spec.emotion, g, p)
    if spec.emotion == "sad":
        side = -1
        x = g.cx + side * (g.eye_dx + g.eye_r * 0.2)
        y = g.eye_y + g.eye_ry + g.eye_r * (2.6 if spec.glasses != "none" else 1.7)
        body += _drop(x, y, g.eye_r * 0.55, _TEAR)
    if spec.emotion == "fear":
        body += _drop(g.cx + g.half_w * 0.72, g.top + g.height * 0.36, g.eye_r * 0.5, _TEAR)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {VIEW} {VIEW}">'
        f"<defs>{''.join(defs)}</defs>{''.join(body)}</svg>"
    )


def render_png(svg: str, size: int = 512) -> bytes:
    """Rasterise an SVG from :func:`render_svg` to a ``size``x``size`` RGBA PNG."""
    size = _check_size(size)
    # unsafe=False: no XML entities, and cairosvg fetches nothing but data: URLs.
    return cairosvg.svg2png(bytestring=svg.encode(), output_width=size, output_height=size, unsafe=False)


_ZIP_TIME = (2024, 1, 1, 0, 0, 0)  # fixed, so the same spec gives the same archive


def sticker_pack(spec: EmoticonSpec, size: int = 512) -> bytes:
    """A zip of the person's emoticon in every emotion: ``emoticon-<emotion>.png`` and ``.svg``, plus a README."""
    files: list[tuple[str, bytes]] = []
    for emotion in EMOTIONS:
        svg = render_svg(replace(spec, emotion=emotion), size)
        files.append((f"emoticon-{emotion}.png", render_png(svg, size)))
        files.append((f"emoticon-{emotion}.svg", svg.encode()))
    readme = (
        f"emopic sticker pack: your emoticon in {len(EMOTIONS)} emotions "
        f"({', '.join(EMOTIONS)}), each as a {size}x{size} transparent PNG and a scalable SVG.\n"
    )
    files.append(("README.txt", readme.encode()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()

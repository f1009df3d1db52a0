"""Draws a tailored suit (jacket, shirt or blouse, collar, tie) for an ID photo, as SVG and as an RGBA layer.

The drawing is built in the body's own frame: the origin is the midpoint of the neck points, x runs along the
shoulder line (image-left to image-right) and y runs perpendicular to it, down the body. One SVG transform then
places and tilts it in the image. Every number and colour in the document is computed here from floats and
validated ``#rrggbb`` strings, so a style or a fit can never inject markup. Same inputs, same bytes.

Proportions: the neck's half-width ``n`` sizes the shirt collar, the knot and the tie; the shoulder width ``s``
sizes everything else.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass

import cv2
import numpy as np
from cairosvg.parser import Tree
from cairosvg.surface import PNGSurface

Point = tuple[float, float]
Cubic = tuple[Point, Point, Point, Point]
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in image pixels, end-exclusive

_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_MAX_SIDE = 8192
_CUTS = ("men", "women")
_LAPELS = ("notch", "shawl")
_NECKLINES = ("round", "collar")
_GRAIN_SIGMA = 2.0  # grey levels
_BUTTON_GREY = "#6b7280"
_SHIRT_SHADOW = "#4a5568"
_SHIRT_EDGE = "#5a6270"


# -- public types ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuitStyle:
    key: str  # e.g. "navy-tie"
    label: str  # e.g. "Navy suit, white shirt, burgundy tie"
    cut: str  # "men" or "women"
    jacket: str  # "#rrggbb"
    shirt: str  # "#rrggbb"
    tie: str | None  # "#rrggbb" or None (no tie)
    lapel: str = "notch"  # "notch" or "shawl"
    neckline: str = "round"  # women's blouse: "round" (jewel neckline) or "collar" (small rounded collar)

    def __post_init__(self) -> None:
        if self.cut not in _CUTS:
            raise ValueError(f"cut must be one of {_CUTS}")
        if self.lapel not in _LAPELS:
            raise ValueError(f"lapel must be one of {_LAPELS}")
        if self.neckline not in _NECKLINES:
            raise ValueError(f"neckline must be one of {_NECKLINES}")
        if self.cut == "women" and self.tie is not None:
            raise ValueError("the women's cut has no tie")
        for what in ("jacket", "shirt", "tie"):
            value = getattr(self, what)
            if value is not None and not (isinstance(value, str) and _HEX.fullmatch(value)):
                raise ValueError(f"{what} must be a #rrggbb colour")


_NAVY, _CHARCOAL, _BLACK = "#1e2a45", "#3b3e44", "#17181c"
_WHITE, _IVORY = "#f6f6f3", "#f3efe6"

STYLES: dict[str, SuitStyle] = {
    style.key: style
    for style in (
        SuitStyle("navy-tie", "Navy suit, white shirt, burgundy tie", "men", _NAVY, _WHITE, "#7b2030"),
        SuitStyle("charcoal-tie", "Charcoal suit, white shirt, navy tie", "men", _CHARCOAL, _WHITE, "#243a66"),
        SuitStyle("black-tie", "Black suit, white shirt, black tie", "men", _BLACK, _WHITE, "#1f2024"),
        SuitStyle("navy-no-tie", "Navy suit, white shirt, no tie", "men", _NAVY, _WHITE, None),
        SuitStyle(
            "navy-women", "Navy jacket, white blouse with collar", "women", _NAVY, _WHITE, None, "notch", "collar"
        ),
        SuitStyle("charcoal-women", "Charcoal jacket, ivory blouse", "women", _CHARCOAL, _IVORY, None),
        SuitStyle(
            "black-women", "Black jacket with shawl lapels, white blouse", "women", _BLACK, _WHITE, None, "shawl"
        ),
    )
}
DEFAULT_STYLE = "navy-tie"


@dataclass(frozen=True)
class SuitFit:
    """Where the suit sits, in the output image's pixel coordinates (x right, y down).
    'left'/'right' mean the image's left/right."""

    neck_left: Point  # the neck's image-left edge at the collar line (where the collar meets the neck)
    neck_right: Point  # the neck's image-right edge at the collar line
    shoulder_left: Point  # outer edge of the image-left shoulder (top of the shoulder, where the arm starts)
    shoulder_right: Point
    chin: Point  # chin tip: nothing of the suit is drawn above the line through it parallel to the shoulders

    def adjusted(self, lift: float = 0.0, widen: float = 0.0) -> SuitFit:
        """The user's fit controls. lift: move the whole suit up (+) or down (-) by this fraction of the
        shoulder width (the UI allows -0.15..0.15); the collar line may not go above the chin (clamp).
        widen: scale the shoulder span about its centre by (1 + widen) (UI: -0.2..0.2); the neck points stay."""
        if not (math.isfinite(lift) and math.isfinite(widen)) or widen <= -1:
            raise ValueError("lift and widen must be finite, and widen above -1")
        width = math.dist(self.shoulder_left, self.shoulder_right)
        if width == 0:
            return self
        ux, uy = _scale(_sub(self.shoulder_right, self.shoulder_left), 1 / width)
        down = (-uy, ux)  # perpendicular to the shoulders, away from the head
        shift = lift * width
        if shift > 0:
            # How far the collar line may rise before it reaches the line through the chin.
            room = _dot(_sub(_mid(self.neck_left, self.neck_right), self.chin), down)
            shift = min(shift, max(0.0, room))
        up = _scale(down, -shift)
        centre = _mid(self.shoulder_left, self.shoulder_right)

        def widened(p: Point) -> Point:
            return _add(centre, _scale(_sub(p, centre), 1 + widen))

        return SuitFit(
            neck_left=_add(self.neck_left, up),
            neck_right=_add(self.neck_right, up),
            shoulder_left=_add(widened(self.shoulder_left), up),
            shoulder_right=_add(widened(self.shoulder_right), up),
            chin=self.chin,
        )


@dataclass(frozen=True)
class SuitLayer:
    rgb: np.ndarray  # HxWx3 uint8, RGB, straight (not premultiplied) colour; 0 where alpha is 0
    alpha: np.ndarray  # HxW float32 in [0, 1]: 1 where the suit (jacket, shirt, collar, tie) is
    collar: np.ndarray  # HxW float32 in [0, 1]: the part of alpha that is collar/neckline drawn over the neck


def suit_svg(style: SuitStyle, fit: SuitFit, height: int, width: int) -> str:
    """The suit as an SVG document the size of the image (``width`` x ``height``), transparent around it."""
    _check_size(height, width)
    return _document(style, _frame(fit, height, width), (0, 0, width, height))


def render_suit(style: SuitStyle, fit: SuitFit, height: int, width: int) -> SuitLayer:
    """Rasterises the `suit_svg` drawing into full-size arrays.

    Only the suit's bounding box is rasterised (the same document with its viewBox cropped to that box).
    """
    _check_size(height, width)
    frame = _frame(fit, height, width)
    box = _box(frame, height, width)
    rgb = np.zeros((height, width, 3), np.uint8)
    alpha = np.zeros((height, width), np.float32)
    collar = np.zeros((height, width), np.float32)
    x0, y0, x1, y1 = box
    if x1 <= x0 or y1 <= y0:
        return SuitLayer(rgb, alpha, collar)
    rgba = _rasterise(_document(style, frame, box))
    bx, by = _body_coordinates(frame, box)
    crop_alpha = rgba[..., 3].astype(np.float32) / 255
    # The SVG clip already stops at the chin line; this makes it exact despite anti-aliasing.
    crop_alpha *= np.clip(by - frame.top + 0.5, 0, 1)
    alpha[y0:y1, x0:x1] = crop_alpha
    rgb[y0:y1, x0:x1] = _with_grain(rgba[..., :3], crop_alpha)
    collar[y0:y1, x0:x1] = np.minimum(_neck_zone(frame, style, bx, by), crop_alpha)
    return SuitLayer(rgb, alpha, collar)


# -- small geometry -------------------------------------------------------------------------------


def _add(a: Point, b: Point) -> Point:
    return a[0] + b[0], a[1] + b[1]


def _sub(a: Point, b: Point) -> Point:
    return a[0] - b[0], a[1] - b[1]


def _scale(a: Point, k: float) -> Point:
    return a[0] * k, a[1] * k


def _mid(a: Point, b: Point) -> Point:
    return (a[0] + b[0]) / 2, (a[1] + b[1]) / 2


def _dot(a: Point, b: Point) -> float:
    return a[0] * b[0] + a[1] * b[1]


def _lerp(a: Point, b: Point, t: float) -> Point:
    return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t


def _clamp(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def _at(curve: Cubic, t: float) -> Point:
    return _split(curve, t)[0][3]


def _split(curve: Cubic, t: float) -> tuple[Cubic, Cubic]:
    """de Casteljau: the cubic cut at ``t`` into its two halves."""
    a, b, c, d = curve
    ab, bc, cd = _lerp(a, b, t), _lerp(b, c, t), _lerp(c, d, t)
    abc, bcd = _lerp(ab, bc, t), _lerp(bc, cd, t)
    m = _lerp(abc, bcd, t)
    return (a, ab, abc, m), (m, bcd, cd, d)


def _bow(a: Point, b: Point, bulge: float, t1: float, t2: float) -> tuple[Point, Point]:
    """Control points that bow the segment a→b sideways by ``bulge`` px (positive: to the left of a→b)."""
    dx, dy = _sub(b, a)
    length = math.hypot(dx, dy) or 1.0
    normal = (dy / length * bulge, -dx / length * bulge)
    return _add(_lerp(a, b, t1), normal), _add(_lerp(a, b, t2), normal)


# -- colour ---------------------------------------------------------------------------------------


def _rgb(hex_: str) -> tuple[int, int, int]:
    return int(hex_[1:3], 16), int(hex_[3:5], 16), int(hex_[5:7], 16)


def _mix(a: str, b: str, t: float) -> str:
    """``a`` moved a fraction ``t`` of the way towards ``b``."""
    mixed = (x + (y - x) * t for x, y in zip(_rgb(a), _rgb(b), strict=True))
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in mixed)


@dataclass(frozen=True)
class _Palette:
    cloth: str
    shade: str  # the cloth turning away from the light
    deep: str  # seams, creases, edges
    light: str  # the cloth where light falls on it
    sheen: float  # opacity of `light`: dark cloth needs more before a highlight shows at all
    shirt: str
    shirt_shade: str
    shirt_edge: str
    shirt_button: str
    tie: str | None


def _palette(style: SuitStyle) -> _Palette:
    r, g, b = _rgb(style.jacket)
    lightness = (0.299 * r + 0.587 * g + 0.114 * b) / 255
    return _Palette(
        cloth=style.jacket,
        shade=_mix(style.jacket, "#000000", 0.45),
        deep=_mix(style.jacket, "#000000", 0.7),
        light=_mix(style.jacket, "#e8eef8", 0.45),
        sheen=_clamp(0.5 - lightness, 0.18, 0.42),
        shirt=style.shirt,
        shirt_shade=_mix(style.shirt, _SHIRT_SHADOW, 0.3),
        shirt_edge=_mix(style.shirt, _SHIRT_EDGE, 0.5),
        shirt_button=_mix(style.shirt, _BUTTON_GREY, 0.35),
        tie=style.tie,
    )


# -- the body frame -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """The fit in the body's frame (see the module docstring), plus where that frame sits in the image."""

    origin: Point  # image coordinates of the neck midpoint
    u: Point  # unit vector along the shoulders, in image coordinates
    s: float  # shoulder width
    n: float  # neck half-width
    left: float  # x of the image-left shoulder point (negative)
    right: float  # x of the image-right shoulder point (positive)
    drop: float  # y of the shoulder points
    top: float  # y of the chin line: nothing is drawn above it
    bottom: float  # a y below every corner of the image, where the garment ends

    @property
    def v(self) -> Point:
        return -self.u[1], self.u[0]

    @property
    def centre(self) -> float:
        """x of the torso's middle, where the jacket buttons (the neck is off it when the head is turned)."""
        return (self.left + self.right) / 2

    def to_image(self, p: Point) -> Point:
        return _add(self.origin, _add(_scale(self.u, p[0]), _scale(self.v, p[1])))


def _point(p: object, what: str, limit: float) -> Point:
    try:
        x, y = (float(c) for c in p)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be an (x, y) pair of numbers") from None
    # Far-off points are a bug upstream, and would overflow cairo's fixed-point coordinates.
    if not (abs(x) <= limit and abs(y) <= limit):
        raise ValueError(f"{what} must be finite and near the image")
    return x, y


def _frame(fit: SuitFit, height: int, width: int) -> _Frame:
    limit = 4.0 * max(height, width)
    sl = _point(fit.shoulder_left, "shoulder_left", limit)
    sr = _point(fit.shoulder_right, "shoulder_right", limit)
    nl = _point(fit.neck_left, "neck_left", limit)
    nr = _point(fit.neck_right, "neck_right", limit)
    chin = _point(fit.chin, "chin", limit)
    dx, dy = _sub(sr, sl)
    s = math.hypot(dx, dy)
    if s < 8 or dx <= 0:
        raise ValueError("shoulder_right must lie at least 8 px to the right of shoulder_left")
    origin, u = _mid(nl, nr), (dx / s, dy / s)
    v = (-u[1], u[0])

    def body(p: Point) -> Point:
        d = _sub(p, origin)
        return _dot(d, u), _dot(d, v)

    # Clamped so that a wild landmark gives neither a pin nor a barrel of a neck.
    n = _clamp(abs(body(nr)[0] - body(nl)[0]) / 2, 0.07 * s, 0.2 * s)
    left, drop = body(sl)
    # The collar and lapels need room between the neck and each shoulder, even on a badly skewed fit.
    reach = 1.25 * n + 0.16 * s
    left, right = min(left, -reach), max(body(sr)[0], reach)
    corners = [body((x, y)) for x in (0, width) for y in (0, height)]
    bottom = max(max(c[1] for c in corners) + 0.05 * s, drop + 0.4 * s)
    return _Frame(origin, u, s, n, left, right, drop, body(chin)[1], bottom)


def _box(frame: _Frame, height: int, width: int) -> Box:
    """The part of the image the suit can touch; empty when it lies wholly outside."""
    s = frame.s
    top = max(frame.top, -0.3 * frame.n - 2)
    xs, ys = (frame.left - 0.12 * s, frame.right + 0.12 * s), (top, frame.bottom)
    corners = [frame.to_image((x, y)) for x in xs for y in ys]
    x0 = max(0, math.floor(min(c[0] for c in corners)))
    y0 = max(0, math.floor(min(c[1] for c in corners)))
    x1 = min(width, math.ceil(max(c[0] for c in corners)))
    y1 = min(height, math.ceil(max(c[1] for c in corners)))
    return x0, y0, max(x0, x1), max(y0, y1)


def _body_coordinates(frame: _Frame, box: Box) -> tuple[np.ndarray, np.ndarray]:
    """Body-frame x and y of every pixel centre in ``box``."""
    x0, y0, x1, y1 = box
    xs = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5 - frame.origin[0]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5 - frame.origin[1]
    (ux, uy), (vx, vy) = frame.u, frame.v
    return xs * ux + ys * uy, xs * vx + ys * vy


# -- svg text -------------------------------------------------------------------------------------


def _n(x: float) -> str:
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _p(p: Point) -> str:
    return f"{_n(p[0])} {_n(p[1])}"


def _m(p: Point) -> str:
    return f"M{_p(p)}"


def _l(*points: Point) -> str:
    return "".join(f"L{_p(p)}" for p in points)


def _c(c1: Point, c2: Point, p: Point) -> str:
    return f"C{_p(c1)} {_p(c2)} {_p(p)}"


def _q(c: Point, p: Point) -> str:
    return f"Q{_p(c)} {_p(p)}"


def _curve(curve: Cubic) -> str:
    return _m(curve[0]) + _c(*curve[1:])


def _reversed(curve: Cubic) -> Cubic:
    return curve[3], curve[2], curve[1], curve[0]


def _attrs(attrs: dict[str, str | float]) -> str:
    parts = []
    for key, value in attrs.items():
        text = _n(value) if isinstance(value, float | int) else value
        parts.append(f'{key.rstrip("_").replace("_", "-")}="{text}"')
    return " ".join(parts)


def _el(tag: str, **attrs: str | float) -> str:
    return f"<{tag} {_attrs(attrs)}/>"


def _path(d: str, fill: str, **extra: str | float) -> str:
    return _el("path", d=d, fill=fill, **extra)


def _shift(dx: float, dy: float) -> str:
    return f"translate({_n(dx)} {_n(dy)})"


def _stroke(d: str, colour: str, width: float, opacity: float, **extra: str | float) -> str:
    return _el(
        "path",
        d=d,
        fill="none",
        stroke=colour,
        stroke_width=width,
        stroke_opacity=opacity,
        stroke_linecap="round",
        stroke_linejoin="round",
        **extra,
    )


def _soft(d: str, colour: str, width: float, opacity: float, **extra: str | float) -> list[str]:
    """A stroke with a blurred edge: cairosvg has no blur filter, so stack a few widths at low opacity."""
    return [_stroke(d, colour, width * k, opacity * a, **extra) for k, a in ((2.2, 0.3), (1.5, 0.4), (0.8, 0.55))]


def _stops(stops: list[tuple[float, str, float]]) -> str:
    return "".join(_el("stop", offset=o, stop_color=c, stop_opacity=a) for o, c, a in stops)


def _linear(id_: str, a: Point, b: Point, stops: list[tuple[float, str, float]]) -> str:
    coords = _attrs({"x1": a[0], "y1": a[1], "x2": b[0], "y2": b[1]})
    return f'<linearGradient id="{id_}" gradientUnits="userSpaceOnUse" {coords}>{_stops(stops)}</linearGradient>'


def _radial(id_: str, c: Point, r: float, stops: list[tuple[float, str, float]]) -> str:
    coords = _attrs({"cx": c[0], "cy": c[1], "r": r})
    return f'<radialGradient id="{id_}" gradientUnits="userSpaceOnUse" {coords}>{_stops(stops)}</radialGradient>'


def _clip(id_: str, d: str) -> str:
    return f'<clipPath id="{id_}"><path d="{d}"/></clipPath>'


def _clipped(clip_id: str, parts: list[str]) -> str:
    return f'<g clip-path="url(#{clip_id})">{"".join(parts)}</g>'


# -- the jacket's shape ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Side:
    """One half of the jacket (side -1: image left, +1: image right), in the body frame."""

    side: int
    corner: Point  # where the jacket collar meets the shirt collar at the side of the neck
    seam: Cubic  # shoulder seam, corner → just past the shoulder point
    roll: Cubic  # the V's edge (the lapel's roll line), from below the corner down to the top button
    head: Point  # the sleeve head: the upper arm at its fullest
    foot: Point  # the arm's outer edge at the bottom
    sleeve: tuple[Cubic, Cubic]  # the arm's outer edge: end of the seam → head → foot


@dataclass(frozen=True)
class _Shape:
    sides: tuple[_Side, _Side]
    button: Point  # the top button, where the V closes
    silhouette: str  # the jacket's outline, the V cut out of it
    opening: str  # the V itself, open at the top, where the shirt or blouse shows


def _side(frame: _Frame, women: bool, side: int, button: Point) -> _Side:
    s, n = frame.s, frame.n
    # A women's jacket sits a little inside the shoulder points.
    shoulder = ((frame.left if side < 0 else frame.right) - side * (0.03 * s if women else 0.0), frame.drop)
    corner = (side * 1.22 * n, 0.1 * n)
    # The seam leaves the collar a little steeply (the trapezius), then runs straight to the padded shoulder.
    seam = (
        corner,
        (corner[0] + side * 0.06 * s, corner[1] + 0.3 * (shoulder[1] - corner[1]) + 0.006 * s),
        (shoulder[0] - side * 0.16 * s, shoulder[1] - 0.03 * s),
        (shoulder[0] + side * 0.008 * s, shoulder[1] + 0.008 * s),
    )
    # The upper arm fills the sleeve out past the shoulder point, then hangs nearly straight.
    head = (shoulder[0] + side * (0.035 if women else 0.045) * s, shoulder[1] + 0.12 * s)
    foot = (shoulder[0] + side * (0.05 if women else 0.08) * s, frame.bottom)
    # The lapel first falls straight past the shirt collar's points, then runs down to the button.
    roll_top = (side * (1.3 if women else 1.16) * n, 0.5 * n)
    c1 = (side * (1.45 if women else 1.16) * n, roll_top[1] + 0.35 * (button[1] - roll_top[1]))
    roll = (roll_top, c1, _lerp(c1, button, 0.55), button)
    end = seam[3]
    sleeve = (
        (end, (end[0] + side * 0.028 * s, end[1] + 0.01 * s), (head[0], head[1] - 0.05 * s), head),
        (head, (head[0] + side * 0.006 * s, head[1] + 0.2 * s), (foot[0], foot[1] - 0.3 * s), foot),
    )
    return _Side(side, corner, seam, roll, head, foot, sleeve)


def _shape(frame: _Frame, style: SuitStyle) -> _Shape:
    women = style.cut == "women"
    button = (frame.centre, frame.drop + (0.5 if women else 0.56) * frame.s)
    left, right = (_side(frame, women, side, button) for side in (-1, 1))
    # The silhouette: down the left of the V, up the right, over the right shoulder and down the arm,
    # along the bottom, then up the left arm and back over the left shoulder.
    silhouette = (
        _m(left.corner)
        + _l(left.roll[0])
        + _c(*left.roll[1:])
        + _c(*_reversed(right.roll)[1:])
        + _l(right.corner)
        + _c(*right.seam[1:])
        + _c(*right.sleeve[0][1:])
        + _c(*right.sleeve[1][1:])
        + _l(left.foot)
        + _c(*_reversed(left.sleeve[1])[1:])
        + _c(*_reversed(left.sleeve[0])[1:])
        + _c(*_reversed(left.seam)[1:])
        + "Z"
    )
    opening = (
        _m(left.corner)
        + _l(left.roll[0])
        + _c(*left.roll[1:])
        + _c(*_reversed(right.roll)[1:])
        + _l(right.corner, (right.corner[0], -frame.n), (left.corner[0], -frame.n))
        + "Z"
    )
    return _Shape((left, right), button, silhouette, opening)


# -- shirt, collar, tie, blouse -------------------------------------------------------------------


def _shirt(frame: _Frame, shape: _Shape, pal: _Palette, defs: list[str], neck_edge: str, shadow: float) -> list[str]:
    """The shirt or blouse front that shows in the V, shaded under the lapels and the collar."""
    s, n = frame.s, frame.n
    defs.append(_clip("opening", shape.opening))
    shade = pal.shirt_shade
    across = [(0, shade, 0.55), (0.25, shade, 0.12), (0.75, shade, 0.12), (1, shade, 0.55)]
    defs.append(_linear("shirt-x", (-1.3 * n, 0), (1.3 * n, 0), across))
    top = shape.sides[0].roll[0][1]
    defs.append(_linear("shirt-y", (0, top), (0, top + 3 * n), [(0, shade, shadow), (1, shade, 0)]))
    # The body's top edge is hidden under the collar, or is the blouse's neckline, so the neck shows above it.
    body = (
        _m((-1.15 * n, 0.3 * n))
        + neck_edge
        + _l((1.15 * n, 0.3 * n), (0.45 * s, frame.bottom), (-0.45 * s, frame.bottom))
        + "Z"
    )
    parts = [_path(body, pal.shirt), _clipped("opening", [_path(body, "url(#shirt-x)"), _path(body, "url(#shirt-y)")])]
    # The lapels stand off the chest and cast a soft shadow on the shirt along the V.
    for sd in shape.sides:
        parts.append(_clipped("opening", _soft(_curve(sd.roll), shade, 0.05 * n + 0.02 * s, 0.5)))
    return parts


def _leaf(n: float, side: int, tie: bool) -> tuple[str, str, str]:
    """One shirt collar leaf: its outline, the line of its shadow on the shirt, and its edge stitching."""
    top = (side * 1.0 * n, -0.12 * n)
    fold = (side * 1.2 * n, 0.16 * n)
    tip = (side * 0.88 * n, 1.72 * n)
    meet = (0.0, 0.8 * n)
    if tie:
        # With a tie the leaves frame the knot: their inner edges hug its sides, then turn out to the points.
        inner = (side * 0.3 * n, 1.38 * n)
        hug = _l((side * 0.52 * n, 0.92 * n), (side * 0.1 * n, 0.8 * n))
    else:
        inner, hug = (side * 0.1 * n, 0.95 * n), ""

    def lower(dy: float) -> str:
        c1 = (tip[0] - side * 0.18 * n, tip[1] - 0.05 * n + dy)
        c2 = (inner[0] + side * 0.18 * n, inner[1] + 0.1 * n + dy)
        return _c(c1, c2, (inner[0], inner[1] + dy))

    outline = (
        _m(top)
        + _c((side * 1.08 * n, -0.08 * n), (side * 1.16 * n, 0.02 * n), fold)
        + _c((side * 1.16 * n, 0.75 * n), (side * 1.06 * n, tip[1] - 0.4 * n), tip)
        + lower(0)
        + hug
        + _l(meet)
        + _c((side * 0.35 * n, 0.72 * n), (side * 0.85 * n, 0.2 * n), top)
        + "Z"
    )
    shadow = _m((tip[0], tip[1] + 0.06 * n)) + lower(0.07 * n)
    stitch = _m((side * 1.08 * n, 0.2 * n)) + _c(
        (side * 1.06 * n, 0.8 * n), (side * 0.98 * n, tip[1] - 0.45 * n), (side * 0.92 * n, tip[1] - 0.12 * n)
    )
    return outline, shadow, stitch


def _men_collar(frame: _Frame, shape: _Shape, pal: _Palette, defs: list[str], tie: bool) -> list[str]:
    """Shirt collar leaves closing round the neck, over the tie knot or a buttoned placket."""
    n, s = frame.n, frame.s
    meet = (0.0, 0.8 * n)  # where the collar closes at the front of the throat
    parts: list[str] = []
    if tie:
        parts += _tie(frame, shape, pal, defs, meet)
    else:
        parts += _soft(_m(meet) + _l(shape.button), pal.shirt_shade, 0.03 * n, 0.35)
        for k in range(4):
            y = meet[1] + 0.35 * n + k * 0.11 * s
            x = shape.button[0] * _clamp(y / shape.button[1], 0, 1)
            parts.append(_el("circle", cx=x, cy=y, r=0.06 * n, fill=pal.shirt_button))
    shaded = _mix(pal.shirt, pal.shirt_shade, 0.55)
    defs.append(_linear("leaf", (0, -0.1 * n), (0, 1.8 * n), [(0, pal.shirt, 1), (1, shaded, 1)]))
    for side in (-1, 1):
        outline, shadow, stitch = _leaf(n, side, tie)
        parts += _soft(shadow, "#000000", 0.08 * n, 0.35)
        parts.append(_path(outline, "url(#leaf)", stroke=pal.shirt_edge, stroke_width=max(0.7, 0.025 * n)))
        dashes = f"{_n(0.05 * n)} {_n(0.04 * n)}"
        parts.append(_stroke(stitch, pal.shirt_edge, max(0.5, 0.015 * n), 0.35, stroke_dasharray=dashes))
    if not tie:
        parts.append(_el("circle", cx=0, cy=meet[1] + 0.12 * n, r=0.07 * n, fill=pal.shirt_button))
    return parts


def _tie(frame: _Frame, shape: _Shape, pal: _Palette, defs: list[str], meet: Point) -> list[str]:
    """A four-in-hand: a shaded knot under the collar, a blade with a dimple and a silk sheen."""
    assert pal.tie is not None
    n, s = frame.n, frame.s
    tie, dark, light = pal.tie, _mix(pal.tie, "#000000", 0.45), _mix(pal.tie, "#ffffff", 0.35)
    knot_top, knot_bottom = meet[1] + 0.02 * n, meet[1] + 0.8 * n
    top_w, bottom_w = 0.54 * n, 0.24 * n
    # The blade hangs down the torso's middle, which is off the neck's when the head is turned.
    bx, by = shape.button

    def centre(y: float) -> float:
        return bx * _clamp(y / by, 0, 1)

    narrow, wide = 0.24 * n, 0.62 * n
    start, widest = knot_bottom - 0.1 * n, knot_bottom + 0.3 * s
    blade = (
        _m((centre(start) - narrow, start))
        + _l((centre(start) + narrow, start))
        + _c(
            (centre(widest) + wide * 0.8, widest - 0.1 * s), (centre(widest) + wide, widest), (bx + wide, frame.bottom)
        )
        + _l((bx - wide, frame.bottom))
        + _c(
            (centre(widest) - wide, widest),
            (centre(widest) - wide * 0.8, widest - 0.1 * s),
            (centre(start) - narrow, start),
        )
        + "Z"
    )
    sheen = [
        (0, dark, 0.55),
        (0.22, dark, 0.05),
        (0.38, light, 0.3),
        (0.5, light, 0.08),
        (0.8, dark, 0.1),
        (1, dark, 0.6),
    ]
    defs.append(_linear("tie-sheen", (bx - wide, 0), (bx + wide, 0), sheen))
    defs.append(_clip("blade", blade))
    knot = (
        _m((-top_w, knot_top))
        + _c((-0.4 * top_w, knot_top - 0.1 * n), (0.4 * top_w, knot_top - 0.1 * n), (top_w, knot_top))
        + _c((top_w, knot_top + 0.4 * n), (bottom_w * 1.6, knot_bottom - 0.2 * n), (bottom_w, knot_bottom))
        + _c(
            (0.3 * bottom_w, knot_bottom + 0.06 * n),
            (-0.5 * bottom_w, knot_bottom + 0.06 * n),
            (-bottom_w, knot_bottom),
        )
        + _c((-bottom_w * 1.6, knot_bottom - 0.25 * n), (-top_w, knot_top + 0.4 * n), (-top_w, knot_top))
        + "Z"
    )
    defs.append(
        _radial("knot", (-0.1 * n, knot_top + 0.35 * n), 0.7 * n, [(0, light, 1), (0.45, tie, 1), (1, dark, 1)])
    )
    kx = centre(knot_bottom)
    dimple = _m((kx + 0.02 * n, knot_bottom)) + _q(
        (kx - 0.04 * n, knot_bottom + 0.4 * n), (centre(knot_bottom + 0.7 * n), knot_bottom + 0.75 * n)
    )
    crease = _m((0.36 * n, knot_top + 0.1 * n)) + _q(
        (0.05 * n, knot_top + 0.5 * n), (-0.12 * n, knot_bottom - 0.05 * n)
    )
    return [
        _path(blade, tie),
        _clipped(
            "blade",
            [
                _path(blade, "url(#tie-sheen)"),
                *_soft(dimple, dark, 0.06 * n, 0.7),
                _stroke(dimple, light, 0.03 * n, 0.25, transform=_shift(0.06 * n, 0)),
                # the knot's shadow on the top of the blade
                _el("ellipse", cx=kx, cy=knot_bottom, rx=0.45 * n, ry=0.22 * n, fill=dark, fill_opacity=0.45),
            ],
        ),
        _path(knot, "url(#knot)", stroke=dark, stroke_width=max(0.6, 0.02 * n), stroke_opacity=0.6),
        *_soft(crease, dark, 0.05 * n, 0.45),
    ]


def _neckline(n: float) -> str:
    """The blouse's jewel neckline, image-left to image-right (continues a path)."""
    return _l((-1.05 * n, -0.05 * n)) + _c((-0.9 * n, 0.5 * n), (0.9 * n, 0.5 * n), (1.05 * n, -0.05 * n))


def _blouse(frame: _Frame, pal: _Palette, defs: list[str], collar: bool) -> list[str]:
    """A jewel neckline round the base of the neck with a bound edge, or a small rounded collar."""
    n = frame.n
    dip = 0.55 * n
    edge_width = max(0.6, 0.02 * n)
    parts: list[str] = []
    for k in (-1, 1):  # soft drape below the neckline
        drape = _m((k * 0.35 * n, dip + 0.15 * n)) + _q((k * 0.45 * n, dip + 1.2 * n), (k * 0.3 * n, dip + 2.4 * n))
        parts += _soft(drape, pal.shirt_shade, 0.05 * n, 0.25)
    if not collar:
        band = (
            _m((-1.12 * n, -0.1 * n))
            + _c((-0.95 * n, dip * 0.95), (0.95 * n, dip * 0.95), (1.12 * n, -0.1 * n))
            + _l((1.2 * n, 0.2 * n))
            + _c((1.0 * n, dip * 1.35), (-1.0 * n, dip * 1.35), (-1.2 * n, 0.2 * n))
            + "Z"
        )
        under = _m((-1.2 * n, 0.24 * n)) + _c((-1.0 * n, dip * 1.42), (1.0 * n, dip * 1.42), (1.2 * n, 0.24 * n))
        shaded = _mix(pal.shirt, pal.shirt_shade, 0.4)
        defs.append(_linear("band", (0, 0), (0, dip * 1.4), [(0, pal.shirt, 1), (1, shaded, 1)]))
        parts += _soft(under, pal.shirt_shade, 0.05 * n, 0.35)
        parts.append(_path(band, "url(#band)", stroke=pal.shirt_edge, stroke_width=edge_width, stroke_opacity=0.5))
        parts.append(_stroke("M" + _neckline(n)[1:], pal.shirt_edge, edge_width, 0.35))
        return parts
    shaded = _mix(pal.shirt, pal.shirt_shade, 0.5)
    defs.append(_linear("flap", (0, 0), (0, 1.3 * n), [(0, pal.shirt, 1), (1, shaded, 1)]))
    for side in (-1, 1):
        flap = (
            _m((side * 1.06 * n, -0.12 * n))
            + _c((side * 1.26 * n, 0.15 * n), (side * 1.2 * n, 0.8 * n), (side * 0.78 * n, 0.95 * n))
            + _c((side * 0.45 * n, 1.05 * n), (side * 0.12 * n, 0.9 * n), (side * 0.02 * n, dip + 0.02 * n))
            + _c((side * 0.5 * n, dip * 0.85), (side * 0.95 * n, 0.2 * n), (side * 1.06 * n, -0.12 * n))
            + "Z"
        )
        shadow = _m((side * 1.22 * n, 0.35 * n)) + _c(
            (side * 1.16 * n, 0.85 * n), (side * 0.5 * n, 1.2 * n), (side * 0.05 * n, 0.85 * n)
        )
        parts += _soft(shadow, "#000000", 0.06 * n, 0.2)
        parts.append(_path(flap, "url(#flap)", stroke=pal.shirt_edge, stroke_width=edge_width, stroke_opacity=0.55))
    parts.append(_el("circle", cx=0, cy=dip + 0.35 * n, r=0.07 * n, fill=pal.shirt_button))
    return parts


# -- jacket ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lapel:
    regions: list[str]  # closed paths: the lapel, and the jacket collar above a notch
    edges: list[str]  # their visible outer edges, which cast shadows on the jacket
    notch: str | None


def _notch_lapel(frame: _Frame, sd: _Side, women: bool) -> _Lapel:
    s, side = frame.s, sd.side
    t_gorge = 0.3 if women else 0.28  # where the gorge seam meets the roll line
    upper, lower = _split(sd.roll, t_gorge)
    gorge = upper[3]
    width = (0.125 if women else 0.15) * s
    gorge_y = gorge[1] + (0.02 if women else 0.015) * s
    notch = (gorge[0] + side * 0.6 * width, gorge_y + 0.012 * s)
    point = (gorge[0] + side * 1.07 * width, gorge_y + 0.016 * s)
    collar_tip = (notch[0] + side * 0.012 * s, notch[1] - (0.05 if women else 0.055) * s)
    button = sd.roll[3]
    # The lapel's outer edge leaves the button and runs up and out, with a little belly, to the lapel point.
    c1, c2 = _bow(button, point, -side * 0.02 * s, 0.4, 0.75)
    lapel = _m(button) + _c(c1, c2, point) + _l(notch, gorge) + _c(*lower[1:]) + "Z"
    neck_seam = _split(sd.seam, 0.25)[0]
    fall = neck_seam[3]
    collar_edge = _c(
        (fall[0] + side * 0.006 * s, fall[1] + 0.05 * s),
        (collar_tip[0] + side * 0.01 * s, collar_tip[1] - 0.06 * s),
        collar_tip,
    )
    collar = (
        _m(sd.corner)
        + _c(*neck_seam[1:])
        + collar_edge
        + _l(notch, gorge)
        + _c(*_reversed(upper)[1:])
        + _l(sd.corner)
        + "Z"
    )
    edges = [_m(button) + _c(c1, c2, point) + _l(notch, collar_tip), _m(fall) + collar_edge]
    return _Lapel([collar, lapel], edges, _m(collar_tip) + _l(notch, point))


def _shawl_lapel(frame: _Frame, sd: _Side, women: bool) -> _Lapel:
    """One smooth curve from the neck round the lapel's belly down to the button; no notch."""
    s, side = frame.s, sd.side
    width = (0.125 if women else 0.15) * s
    mid = _at(sd.roll, 0.4)
    belly = (mid[0] + side * 0.85 * width, mid[1])
    neck_seam = _split(sd.seam, 0.2)[0]
    start, button = neck_seam[3], sd.roll[3]
    edge = _c((start[0] + side * 0.02 * s, start[1] + 0.08 * s), (belly[0], belly[1] - 0.18 * s), belly) + _c(
        (belly[0], belly[1] + 0.16 * s), (button[0] + side * 0.04 * s, button[1] - 0.12 * s), button
    )
    region = _m(sd.corner) + _c(*neck_seam[1:]) + edge + _c(*_reversed(sd.roll)[1:]) + _l(sd.corner) + "Z"
    return _Lapel([region], [_m(start) + edge], None)


def _lapels(frame: _Frame, shape: _Shape, style: SuitStyle, pal: _Palette, defs: list[str]) -> tuple[list, list]:
    """The jacket collar and lapels, as (the shadows they cast on the jacket, the lapels themselves)."""
    s = frame.s
    women = style.cut == "women"
    shadows: list[str] = []
    parts: list[str] = []
    for i, sd in enumerate(shape.sides):
        side = sd.side
        lapel = (_shawl_lapel if style.lapel == "shawl" else _notch_lapel)(frame, sd, women)
        # The lapel turns over along the roll line: lit there, shading towards its outer edge.
        mid = _at(sd.roll, 0.45)
        across = (mid[0] + side * (0.125 if women else 0.15) * s, mid[1] - 0.02 * s)
        stops = [(0, pal.light, pal.sheen * 0.9), (0.35, pal.light, pal.sheen * 0.25), (0.8, pal.shade, 0.1)]
        defs.append(_linear(f"lapel-{i}", mid, across, [*stops, (1, pal.shade, 0.35)]))
        for edge in lapel.edges:
            shadows += _soft(edge, pal.deep, 0.014 * s, 0.35, transform=_shift(side * 0.006 * s, 0.006 * s))
        for region in lapel.regions:
            parts += [
                _path(region, pal.cloth),
                _path(region, f"url(#lapel-{i})"),
                _stroke(region, pal.deep, max(0.7, 0.0035 * s), 0.55),
            ]
        roll = _curve(_split(sd.roll, 0.08)[1])
        parts.append(_stroke(roll, pal.light, 0.01 * s, pal.sheen * 0.8, transform=_shift(side * 0.006 * s, 0)))
        if lapel.notch is not None:
            parts += _soft(lapel.notch, pal.deep, 0.006 * s, 0.6)
        if not women and side == 1:
            # the buttonhole on the wearer's left lapel
            p = _at(sd.roll, 0.33)
            hole = _m((p[0] + 0.05 * s, p[1] + 0.005 * s)) + _l((p[0] + 0.085 * s, p[1] - 0.007 * s))
            parts.append(_stroke(hole, pal.deep, 0.006 * s, 0.6))
    return shadows, parts


def _jacket(frame: _Frame, shape: _Shape, style: SuitStyle, pal: _Palette, defs: list[str]) -> list[str]:
    s = frame.s
    women = style.cut == "women"
    defs.append(_clip("jacket", shape.silhouette))
    x0, x1 = frame.left - 0.12 * s, frame.right + 0.12 * s
    # Darker towards the sides where the body turns away, and towards the bottom.
    sides = [(0, pal.deep, 0.75), (0.1, pal.shade, 0.45), (0.2, pal.shade, 0.05), (0.5, pal.shade, 0.0)]
    mirrored = [(round(1 - o, 3), c, a) for o, c, a in reversed(sides[:-1])]
    defs.append(_linear("jacket-x", (x0, 0), (x1, 0), sides + mirrored))
    down = [(0, pal.shade, 0.0), (0.6, pal.shade, 0.12), (1, pal.shade, 0.35)]
    defs.append(_linear("jacket-y", (0, frame.drop), (0, frame.drop + 1.2 * s), down))
    block = {"x": x0, "y": frame.top - s, "width": x1 - x0, "height": frame.bottom - frame.top + 2 * s}
    inner = [_el("rect", **block, fill="url(#jacket-x)"), _el("rect", **block, fill="url(#jacket-y)")]
    for i, sd in enumerate(shape.sides):
        side, head, foot = sd.side, sd.head, sd.foot
        # light falling on the chest below each shoulder
        glow = ((frame.left if side < 0 else frame.right) * 0.62, frame.drop + 0.12 * s)
        defs.append(_radial(f"glow-{i}", glow, 0.3 * s, [(0, pal.light, pal.sheen * 0.55), (1, pal.light, 0)]))
        inner.append(_el("circle", cx=glow[0], cy=glow[1], r=0.3 * s, fill=f"url(#glow-{i})"))
        # The sleeve is set in at the armhole: a seam curving down the front of the shoulder.
        top = _at(sd.seam, 0.88)
        armhole = _m(top) + _c(
            (top[0] - side * 0.035 * s, top[1] + 0.12 * s),
            (head[0] - side * 0.1 * s, head[1] + 0.2 * s),
            (head[0] - side * 0.085 * s, frame.drop + 0.5 * s),
        )
        inner += _soft(armhole, pal.deep, 0.006 * s, 0.35)
        inner.append(_stroke(armhole, pal.light, 0.004 * s, pal.sheen * 0.4, transform=_shift(side * 0.006 * s, 0)))
        # the round of the upper arm catches a little light
        sleeve = _m((head[0] - side * 0.04 * s, head[1] + 0.05 * s)) + _q(
            (head[0] - side * 0.05 * s, head[1] + 0.3 * s), (foot[0] - side * 0.06 * s, frame.bottom)
        )
        inner += _soft(sleeve, pal.light, 0.04 * s, pal.sheen * 0.2)
        if women:
            # the princess seam that shapes the waist
            x = frame.centre + side * 0.3 * s
            dart = _m((x, frame.drop + 0.25 * s)) + _q(
                (x - side * 0.06 * s, frame.drop + 0.6 * s), (x - side * 0.03 * s, frame.bottom)
            )
            inner += _soft(dart, pal.deep, 0.006 * s, 0.45)
    # The front edge of the upper panel runs down from the top button.
    bx, by = shape.button
    over = -1 if women else 1  # a man's left front (image right) laps over; a woman's the other way round
    front = _m((bx, by)) + _c(
        (bx, by + 0.1 * s), (bx + over * 0.01 * s, by + 0.3 * s), (bx + over * 0.06 * s, frame.bottom)
    )
    inner += _soft(front, pal.deep, 0.012 * s, 0.55, transform=_shift(-over * 0.005 * s, 0))
    inner.append(_stroke(front, pal.deep, max(0.7, 0.0035 * s), 0.7))
    if not women:
        # the breast pocket's welt on the wearer's left chest
        px, py = frame.centre + 0.22 * s, frame.drop + 0.3 * s
        welt = _m((px, py + 0.012 * s)) + _l((px + 0.13 * s, py - 0.004 * s))
        inner += _soft(welt, pal.deep, 0.005 * s, 0.35, transform=_shift(0, 0.01 * s))
        inner.append(_stroke(welt, pal.light, 0.003 * s, pal.sheen * 0.35))
    shadows, lapels = _lapels(frame, shape, style, pal, defs)
    parts = [_path(shape.silhouette, pal.cloth), _clipped("jacket", inner + shadows), *lapels]
    r = 0.016 * s
    for k in range(1 if women else 2):
        cx, cy = bx + k * over * 0.002 * s, by + 0.03 * s + k * 0.2 * s
        parts += [
            _el("circle", cx=cx + 0.002 * s, cy=cy + 0.004 * s, r=r * 1.15, fill="#000000", fill_opacity=0.35),
            _el("circle", cx=cx, cy=cy, r=r, fill=_mix(pal.cloth, "#000000", 0.35)),
            _el("circle", cx=cx - r * 0.2, cy=cy - r * 0.25, r=r * 0.55, fill=pal.light, fill_opacity=pal.sheen * 0.6),
        ]
    # a thin darker edge all round, not a cartoon outline
    parts.append(_stroke(shape.silhouette, pal.deep, max(0.7, 0.0035 * s), 0.5))
    return parts


# -- the document ---------------------------------------------------------------------------------


def _check_size(height: int, width: int) -> None:
    for what, value in (("height", height), ("width", width)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= _MAX_SIDE:
            raise ValueError(f"{what} must be an integer from 1 to {_MAX_SIDE}")


def _document(style: SuitStyle, frame: _Frame, box: Box) -> str:
    """The drawing, seen through a viewport on ``box`` (image pixels)."""
    pal = _palette(style)
    shape = _shape(frame, style)
    n, s = frame.n, frame.s
    defs: list[str] = []
    if style.cut == "men":
        body = _shirt(frame, shape, pal, defs, _l((0, n)), shadow=0.6)
        body += _men_collar(frame, shape, pal, defs, tie=style.tie is not None)
    else:
        body = _shirt(frame, shape, pal, defs, _neckline(n), shadow=0.25)
        body += _blouse(frame, pal, defs, collar=style.neckline == "collar")
    body += _jacket(frame, shape, style, pal, defs)
    below_chin = _m((frame.left - s, frame.top)) + _l(
        (frame.right + s, frame.top), (frame.right + s, frame.bottom + s), (frame.left - s, frame.bottom + s)
    )
    defs.append(_clip("chin", below_chin + "Z"))
    (ux, uy), (vx, vy), (ox, oy) = frame.u, frame.v, frame.origin
    matrix = " ".join(f"{c:.6f}" for c in (ux, uy, vx, vy, ox, oy))
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="{x0} {y0} {w} {h}">'
        f"<defs>{''.join(defs)}</defs>"
        f'<g transform="matrix({matrix})"><g clip-path="url(#chin)">{"".join(body)}</g></g></svg>'
    )


# -- pixels ---------------------------------------------------------------------------------------


def _rasterise(svg: str) -> np.ndarray:
    """An SVG document as an HxWx4 uint8 RGBA array (straight, not premultiplied, alpha)."""
    # cairosvg draws while it builds the surface; reading cairo's pixels directly skips a PNG encode and
    # decode that cost as much as the drawing. unsafe=False: no XML entities, nothing fetched but data: URLs.
    surface = PNGSurface(Tree(bytestring=svg.encode(), unsafe=False), None, 96).cairo
    surface.flush()
    if sys.byteorder != "little":
        raise RuntimeError("cairo's ARGB32 is read here as B, G, R, A bytes, the little-endian layout")
    height, width, stride = surface.get_height(), surface.get_width(), surface.get_stride()
    premultiplied = np.ndarray((height, width, 4), np.uint8, buffer=surface.get_data(), strides=(stride, 4, 1))
    return cv2.cvtColor(cv2.cvtColor(premultiplied, cv2.COLOR_mRGBA2RGBA), cv2.COLOR_BGRA2RGBA)


def _with_grain(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Flat vector fills look pasted on next to a photo's noise; a fixed seed keeps renders identical."""
    noise = np.random.default_rng(7).standard_normal(alpha.shape, dtype=np.float32) * _GRAIN_SIGMA
    grained = np.clip(rgb + noise[..., None], 0, 255).astype(np.uint8)
    grained[alpha == 0] = 0
    return grained


def _neck_zone(frame: _Frame, style: SuitStyle, bx: np.ndarray, by: np.ndarray) -> np.ndarray:
    """The neck's column, from above the collar down to below the collar (and knot), soft-edged by a pixel."""
    n = frame.n
    depth = (2.0 if style.cut == "men" else 1.0) * n
    across = np.clip(1.25 * n - np.abs(bx) + 0.5, 0, 1)
    down = np.clip(depth - by + 0.5, 0, 1)
    return across * down

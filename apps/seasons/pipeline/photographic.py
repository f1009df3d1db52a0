"""A deterministic photographic engine for the six season/time translations. No Django here.

It stands in for the CycleGAN generators until trained ones replace the
directions one by one. Every step is a plain colour operation (Lab statistics,
HSV hue remapping, masks from brightness and gradients), so the result is the
same on every run and the same on every machine.

Images are ``RGBImage`` arrays (HxWx3 uint8, RGB order). Internally the engine
works on float32 RGB in 0..1; the masks are float32 HxW in 0..1.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt

from apps.core.imageio import RGBImage

from .types import DIRECTIONS, DOMAINS

ENGINE_PHOTOGRAPHIC = "photographic grade (Lab statistics, foliage hue remapping, snow, night sky)"

Float = npt.NDArray[np.float32]

# Masks are estimated on a copy at most this many pixels a side: the sky and the
# snow are large smooth regions, and this keeps a 1024 px photo within budget.
_MASK_SIDE = 256

# Reference Lab statistics (mean, std for L*, a*, b*) of each target domain,
# read off typical photos of it. The grades move part of the way towards them
# (Reinhard et al. 2001, "Color transfer between images").
_REFERENCE_LAB: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "night": ((16.0, 0.0, -20.0), (11.0, 4.0, 9.0)),
    "day": ((58.0, -2.0, 8.0), (22.0, 10.0, 18.0)),
    "autumn": ((46.0, 14.0, 32.0), (20.0, 14.0, 20.0)),
    "spring": ((60.0, -16.0, 24.0), (20.0, 14.0, 18.0)),
    "winter": ((74.0, -1.0, -5.0), (20.0, 3.0, 6.0)),
    "summer": ((52.0, -10.0, 22.0), (22.0, 14.0, 20.0)),
}

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


# -- small building blocks -------------------------------------------------------------------------


def _luma(f: Float) -> Float:
    return (f @ _LUMA).astype(np.float32)


def _smoothstep(lo: float, hi: float, x: Float) -> Float:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)


def _mix(a: Float, b: Float, w: Float) -> Float:
    """Blend b over a with weight w (HxW or scalar)."""
    if isinstance(w, np.ndarray) and w.ndim == 2:
        w = w[..., None]
    return (a + (b - a) * w).astype(np.float32)


def _saturate(f: Float, amount: float | Float) -> Float:
    """Scale the distance from grey: 0 gives grey, 1 leaves the colour, >1 saturates."""
    y = _luma(f)[..., None]
    if isinstance(amount, np.ndarray):
        amount = amount[..., None]
    return np.clip(y + (f - y) * amount, 0.0, 1.0).astype(np.float32)


def _resize(m: Float, shape: tuple[int, int]) -> Float:
    h, w = shape
    if m.shape[:2] == (h, w):
        return m
    return cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR)


def _small(f: Float) -> Float:
    h, w = f.shape[:2]
    scale = _MASK_SIDE / max(h, w)
    if scale >= 1.0:
        return f
    return cv2.resize(f, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def _noise(shape: tuple[int, int], cells: int, seed: int) -> Float:
    """Low-frequency value noise in 0..1, seeded from the image size only, so it is deterministic."""
    h, w = shape
    rng = np.random.default_rng([h, w, cells, seed])
    gh = max(2, round(cells * h / max(h, w)))
    gw = max(2, round(cells * w / max(h, w)))
    grid = rng.random((gh, gw), dtype=np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC).clip(0.0, 1.0)


def _vertical(shape: tuple[int, int]) -> Float:
    """0 at the top row, 1 at the bottom row, as an HxW array."""
    h, w = shape
    return np.broadcast_to(np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None], (h, w))


def _gradient_sky(shape: tuple[int, int], top: tuple[float, ...], horizon: tuple[float, ...]) -> Float:
    t = _vertical(shape)[..., None] ** 0.8
    return (np.asarray(top, np.float32) + (np.asarray(horizon, np.float32) - np.asarray(top, np.float32)) * t).astype(
        np.float32
    )


def _hsv(f: Float) -> Float:
    """Float HSV: H in degrees 0..360, S and V in 0..1."""
    return cv2.cvtColor(f, cv2.COLOR_RGB2HSV)


def _rgb_from_hsv(hsv: Float) -> Float:
    return cv2.cvtColor(hsv.astype(np.float32), cv2.COLOR_HSV2RGB)


def _hue_band(h: Float, lo: float, hi: float, soft: float) -> Float:
    return _smoothstep(lo - soft, lo, h) * (1.0 - _smoothstep(hi, hi + soft, h))


def _lab_transfer(f: Float, domain: str, amount: float) -> Float:
    """Reinhard colour transfer towards the reference statistics of ``domain``, blended by ``amount``."""
    lab = cv2.cvtColor(f, cv2.COLOR_RGB2Lab)
    mean = lab.reshape(-1, 3).mean(axis=0)
    std = lab.reshape(-1, 3).std(axis=0) + 1e-3
    ref_mean, ref_std = (np.asarray(v, np.float32) for v in _REFERENCE_LAB[domain])
    # Limit the stretch so a nearly flat channel (a grey sky) does not explode into noise.
    gain = np.clip(ref_std / std, 0.5, 2.0)
    moved = (lab - mean) * gain + ref_mean
    moved[..., 0] = np.clip(moved[..., 0], 0.0, 100.0)
    out = cv2.cvtColor(moved.astype(np.float32), cv2.COLOR_Lab2RGB)
    return _mix(f, np.clip(out, 0.0, 1.0), amount)


# -- masks -----------------------------------------------------------------------------------------


def _texture(luma: Float) -> Float:
    """Local contrast: the blurred magnitude of the luminance gradient."""
    gx = cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3)
    return cv2.GaussianBlur(np.sqrt(gx * gx + gy * gy), (0, 0), 2.0)


def sky_mask(f: Float, *, night: bool = False) -> Float:
    """A soft sky estimate, HxW float32 in 0..1.

    A pixel is a sky candidate when it is smooth (little texture) and looks like
    sky: bright blue, or bright white/grey cloud; at night any dark smooth blue
    or black. Only candidates in regions touching the top edge count, and the
    result is smoothed and faded towards the bottom of the frame.
    """
    small = _small(f)
    h, w = small.shape[:2]
    luma = _luma(small)
    hsv = _hsv(small)
    s, v = hsv[..., 1], hsv[..., 2]
    blue = small[..., 2] - small[..., 0]
    texture = _texture(luma)
    if night:
        # In the dark, texture is measured relative to the light level, and the sky is
        # blue or neutral, not the dark green of a tree line.
        smooth = 1.0 - _smoothstep(0.3, 0.8, texture / (cv2.GaussianBlur(luma, (0, 0), 3.0) + 0.05))
        neutral = _smoothstep(-0.04, 0.0, small[..., 2] - small[..., 1])
        looks = (1.0 - _smoothstep(0.35, 0.6, v)) * neutral
    else:
        smooth = 1.0 - _smoothstep(0.25, 0.6, texture)
        blue_sky = _smoothstep(0.35, 0.55, v) * _smoothstep(0.02, 0.12, blue)
        cloud = _smoothstep(0.55, 0.8, v) * (1.0 - _smoothstep(0.15, 0.3, s))
        looks = np.maximum(blue_sky, cloud)
    score = smooth * looks
    candidate = (score > 0.4).astype(np.uint8)
    candidate = cv2.morphologyEx(candidate, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    n, labels = cv2.connectedComponents(candidate, connectivity=4)
    top = np.unique(labels[0][candidate[0] > 0])
    connected = np.isin(labels, top).astype(np.float32) if n > 1 and top.size else np.zeros((h, w), np.float32)
    # Grow a little into the sky-looking rim the texture measure cut off, or it shows as a halo.
    grown = cv2.dilate(connected, np.ones((5, 5), np.uint8)) * (looks > 0.25)
    connected = np.maximum(connected, grown)
    prior = 1.0 - _smoothstep(0.55, 0.95, _vertical((h, w)))
    soft = cv2.GaussianBlur(connected * np.clip(score * 1.6, 0.0, 1.0) * prior, (0, 0), 1.5)
    return _resize(np.clip(soft, 0.0, 1.0).astype(np.float32), f.shape[:2])


def _foliage(hsv: Float) -> Float:
    """Green vegetation: a soft hue band around green with enough saturation and light."""
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    return _hue_band(h, 60.0, 165.0, 15.0) * _smoothstep(0.1, 0.25, s) * _smoothstep(0.04, 0.12, v)


def _warm_foliage(hsv: Float) -> Float:
    """Autumn leaves: red, orange and yellow hues with enough saturation."""
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    band = np.maximum(1.0 - _smoothstep(50.0, 65.0, h), _smoothstep(335.0, 350.0, h))
    return band * _smoothstep(0.25, 0.45, s) * _smoothstep(0.08, 0.2, v)


def _whiteness(hsv: Float) -> Float:
    """Snow: bright, nearly colourless pixels."""
    return _smoothstep(0.55, 0.75, hsv[..., 2]) * (1.0 - _smoothstep(0.12, 0.25, hsv[..., 1]))


# -- the six directions ----------------------------------------------------------------------------


def _day2night(f: Float) -> Float:
    shape = f.shape[:2]
    sky = sky_mask(f)
    luma = _luma(f)
    # Ground: a lower exposure with a steeper curve, moonlit blue balance, most colour gone.
    ground = np.power(f, 1.5) * 0.5
    ground = _saturate(ground, 0.45) * np.array([0.55, 0.78, 1.25], np.float32)
    # The rim of bright sky the mask misses along a ridge would read as a glowing halo: darken
    # the ground near the sky as well.
    k = max(3, max(shape) // 64) | 1
    rim = cv2.GaussianBlur(cv2.dilate(sky, np.ones((k, k), np.uint8)), (0, 0), k / 3.0)
    ground = ground * (1.0 - 0.6 * rim)[..., None]
    # Sky: a deep blue gradient that keeps a trace of the clouds.
    night_sky = _gradient_sky(shape, (0.005, 0.015, 0.09), (0.04, 0.08, 0.25))
    night_sky = night_sky * (0.75 + 0.5 * luma[..., None])
    out = _mix(ground, night_sky, sky)
    # Stars: sparse, seeded from the size only, and only in the darkest, surest sky.
    h, w = shape
    rng = np.random.default_rng([h, w, 7])
    count = max(1, h * w // 900)
    ys = rng.integers(0, h, count)
    xs = rng.integers(0, w, count)
    stars = np.zeros(shape, np.float32)
    stars[ys, xs] = rng.random(count, dtype=np.float32) ** 3 * 0.9
    if max(h, w) > 512:
        stars = cv2.GaussianBlur(stars, (0, 0), max(h, w) / 1024.0) * 2.0
    stars *= _smoothstep(0.8, 0.97, sky) * (1.0 - _vertical(shape))
    out = out + stars[..., None] * np.array([0.9, 0.93, 1.0], np.float32)
    # Lit spots: small bright blobs on the ground (windows, lamps) glow warm instead of going dark.
    # A lamp is small, very bright and sits in a dark neighbourhood; lit rock or a bright wall is not.
    v = f.max(axis=2)
    tophat = cv2.morphologyEx(v, cv2.MORPH_TOPHAT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
    surround = cv2.GaussianBlur(v, (0, 0), 4.0)
    lamps = _smoothstep(0.35, 0.5, tophat) * _smoothstep(0.9, 0.98, v) * (1.0 - _smoothstep(0.3, 0.5, surround))
    lamps *= 1.0 - sky
    lamps = cv2.GaussianBlur(lamps, (0, 0), 1.5)
    out = _mix(out, np.array([1.0, 0.78, 0.45], np.float32) * np.ones_like(f), np.clip(lamps * 1.5, 0.0, 1.0))
    out = _lab_transfer(np.clip(out, 0.0, 1.0), "night", 0.25)
    return out


def _night2day(f: Float) -> Float:
    shape = f.shape[:2]
    sky = sky_mask(f, night=True)
    luma = _luma(f)
    # Tone curve on the luminance: stretch the range, then lift the shadows with a gamma.
    lo, hi = np.percentile(luma, (1.0, 99.5))
    stretched = np.clip((luma - lo) / max(hi - lo, 1e-3), 0.0, 1.0)
    target = np.power(stretched, 0.55) * 0.92 + 0.04
    gain = np.clip(target / np.maximum(luma, 1e-3), 0.0, 6.0)[..., None]
    lifted = np.clip(f * gain, 0.0, 1.0)
    # Neutral, then slightly warm, white balance (grey world), then the colour back.
    means = lifted.reshape(-1, 3).mean(axis=0) + 1e-3
    lifted = np.clip(lifted * (means.mean() / means) * np.array([1.05, 1.0, 0.9], np.float32), 0.0, 1.0)
    lifted = _saturate(lifted, 1.45)
    # Sky: a daytime blue gradient, keeping the structure of what was there.
    day_sky = _gradient_sky(shape, (0.3, 0.5, 0.85), (0.72, 0.83, 0.95))
    detail = (luma - cv2.GaussianBlur(luma, (0, 0), 8.0))[..., None]
    day_sky = np.clip(day_sky + detail * 2.0, 0.0, 1.0)
    out = _mix(lifted, day_sky, sky)
    return _lab_transfer(out, "day", 0.25)


def _spring2autumn(f: Float) -> Float:
    shape = f.shape[:2]
    hsv = _hsv(f)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    leaves = _foliage(hsv)
    # Each tree gets its own autumn colour: a coarse field chooses red .. orange .. yellow,
    # a finer one varies it within the crown.
    choice = np.clip(0.7 * _noise(shape, 5, 1) + 0.3 * _noise(shape, 24, 2), 0.0, 1.0)
    hue = 4.0 + 48.0 * _smoothstep(0.2, 0.8, choice) + (h - 110.0) * 0.08
    sat = np.clip(np.maximum(s * 1.25, 0.55) + 0.1, 0.0, 0.95)
    val = np.clip(v * (1.05 + 0.25 * choice), 0.0, 1.0)
    autumn = _rgb_from_hsv(np.stack([np.clip(hue, 2.0, 60.0), sat, val], axis=-1))
    out = _mix(f, autumn, np.clip(leaves * 1.3, 0.0, 1.0))
    # A warmer, slightly lower-key grade over everything.
    out = np.power(out * np.array([1.05, 1.0, 0.86], np.float32), 1.1).clip(0.0, 1.0)
    return _lab_transfer(out, "autumn", 0.15)


def _autumn2spring(f: Float) -> Float:
    shape = f.shape[:2]
    hsv = _hsv(f)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    sky = sky_mask(f)
    leaves = _warm_foliage(hsv) * (1.0 - sky)
    choice = _noise(shape, 8, 3)
    # Fresh light green: yellow-green to green, brighter and not too saturated, blossom-free.
    hue = 78.0 + 30.0 * choice + np.minimum(h, 60.0) * 0.15
    sat = np.clip(s * 0.75, 0.3, 0.65)
    val = np.clip(0.12 + v * 1.1, 0.0, 1.0)
    spring = _rgb_from_hsv(np.stack([hue, sat, val], axis=-1))
    out = _mix(f, spring, leaves)
    # Brighter and slightly cooler.
    out = np.power(out * np.array([0.97, 1.0, 1.03], np.float32), 0.88).clip(0.0, 1.0)
    return _lab_transfer(out, "spring", 0.15)


def snow_mask(f: Float, sky: Float) -> Float:
    """Where snow settles, HxW float32 in 0..1.

    Snow lies on upward-facing surfaces. From a single photo those show as places
    brighter than what is just below them (the luminance rises upwards), as lit
    textured ground in the lower half, and as the lit tops of tree crowns. Dark
    crevices and trunks stay clear, which is what makes the snow read as snow.
    """
    small = _small(f)
    shape = small.shape[:2]
    luma = _luma(small)
    blur = cv2.GaussianBlur(luma, (0, 0), 1.2)
    # Sobel y is positive where it gets brighter downwards; we want brighter upwards.
    upward = _smoothstep(0.02, 0.25, -cv2.Sobel(blur, cv2.CV_32F, 0, 1, ksize=3))
    local = cv2.GaussianBlur(luma, (0, 0), 4.0)
    lit = _smoothstep(-0.06, 0.08, luma - local)  # brighter than the neighbourhood
    ground = _smoothstep(0.35, 0.75, _vertical(shape)) * _smoothstep(0.05, 0.2, _texture(luma))
    leaves = _foliage(_hsv(small))
    bright = _smoothstep(0.12, 0.45, luma)
    snow = 0.45 * upward * bright + 0.35 * ground * lit + 0.45 * leaves * lit + 0.25 * lit * bright
    snow = _smoothstep(0.2, 0.55, cv2.GaussianBlur(snow, (0, 0), 0.8))
    return _resize(snow, f.shape[:2]) * (1.0 - sky)


def _summer2winter(f: Float) -> Float:
    shape = f.shape[:2]
    sky = sky_mask(f)
    snow = snow_mask(f, sky)
    luma = _luma(f)
    # The land: colour drained, a cold blue-grey cast, slightly lifted.
    land = _saturate(f, 0.3) * np.array([0.9, 0.96, 1.06], np.float32)
    land = np.clip(0.06 + land * 0.95, 0.0, 1.0)
    # Snow keeps the shading of what it covers, so the shapes stay readable.
    snow_rgb = np.array([0.9, 0.93, 0.98], np.float32) * (0.62 + 0.42 * np.sqrt(luma))[..., None]
    out = _mix(land, np.clip(snow_rgb, 0.0, 1.0), snow)
    # A pale overcast sky with a hint of the original clouds.
    overcast = _gradient_sky(shape, (0.74, 0.77, 0.82), (0.86, 0.88, 0.9))
    overcast = overcast + (luma - luma.mean())[..., None] * 0.15
    out = _mix(out, np.clip(overcast, 0.0, 1.0), sky)
    return _lab_transfer(out, "winter", 0.2)


def _winter2summer(f: Float) -> Float:
    shape = f.shape[:2]
    hsv = _hsv(f)
    sky = sky_mask(f)
    snow = _whiteness(hsv) * (1.0 - sky)
    luma = _luma(f)
    # Melted ground: grass in the foreground, brown earth and rock further up, shaded
    # by the snow's own relief so the terrain keeps its form.
    down = _vertical(shape)
    grass_share = np.clip(_smoothstep(0.45, 0.85, down) + 0.5 * _noise(shape, 10, 4) - 0.25, 0.0, 1.0)
    grass = np.array([0.27, 0.4, 0.13], np.float32)
    earth = np.array([0.5, 0.45, 0.38], np.float32)
    ground = grass + (earth - grass) * (1.0 - grass_share)[..., None]
    relief = np.clip(luma / np.maximum(cv2.GaussianBlur(luma, (0, 0), 4.0), 1e-3) - 1.0, -0.3, 0.12)
    ground = np.clip(ground * (1.0 + 2.5 * relief)[..., None], 0.0, 1.0)
    # A warm, saturated grade for what was not snow, and a summer sky.
    warm = _saturate(f * np.array([1.06, 1.02, 0.9], np.float32), 1.4)
    out = _mix(warm, ground, np.clip(snow * 1.2, 0.0, 1.0))
    blue = _gradient_sky(shape, (0.25, 0.48, 0.85), (0.65, 0.8, 0.95))
    blue = blue + (luma - cv2.GaussianBlur(luma, (0, 0), 8.0))[..., None] * 0.4
    out = _mix(out, np.clip(blue, 0.0, 1.0), sky)
    return _lab_transfer(out, "summer", 0.15)


_STEPS: dict[str, Callable[[Float], Float]] = {
    "day2night": _day2night,
    "night2day": _night2day,
    "spring2autumn": _spring2autumn,
    "autumn2spring": _autumn2spring,
    "summer2winter": _summer2winter,
    "winter2summer": _winter2summer,
}
assert set(_STEPS) == set(DIRECTIONS)


def translate(rgb: RGBImage, direction: str) -> RGBImage:
    """Translate an RGB photo in ``direction`` (a key of ``DIRECTIONS``); same size, new array."""
    if direction not in _STEPS:
        raise ValueError(f"unknown direction {direction!r}; expected one of {sorted(_STEPS)}")
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an HxWx3 uint8 RGB image, got {rgb.shape} {rgb.dtype}")
    f = rgb.astype(np.float32) * np.float32(1.0 / 255.0)
    out = _STEPS[direction](f)
    return np.ascontiguousarray(np.clip(out * 255.0 + 0.5, 0.0, 255.0).astype(np.uint8))


# -- domain guessing -------------------------------------------------------------------------------


def _logistic(x: float, centre: float, width: float) -> float:
    return float(1.0 / (1.0 + np.exp(-(x - centre) / width)))


# Weights of the summer-vs-winter score over the square roots of a 39-bin colour
# histogram: (hue sextant 0..5 from red, muted|vivid, dark|mid|bright) then three grey
# bins (dark, mid, bright). Fitted by logistic regression on the Yosemite summer/winter
# training photos (trainA/trainB, about 2,200 images); on the held-out test photos it
# tells the seasons apart about 7 times in 10, which is what colour alone can do there.
_SW_WEIGHTS = np.array(
    [-1.08, 0.46, 1.38, 0.17, 0.86, 0.62, 0.91, 0.8, 0.21, 3.4, 2.92, 0.35, 0.72, 1.02, -0.05, -0.28, 0.53, 0.12, -0.4]
    + [-0.2, -0.3, -0.64, 0.57, -0.22, -0.29, -0.32, -0.65, -0.16, -0.29, -0.29, 0.46, 0.34, 0.1, 0.08, 0.05, 0.15]
    + [-0.02, -0.96, -1.16],
    np.float32,
)
_SW_BIAS = -0.24


def _summer_winter_margin(rgb: RGBImage) -> float:
    """Positive for summer-looking colour, negative for winter-looking colour."""
    f = cv2.resize(rgb, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32) * np.float32(1.0 / 255.0)
    hsv = _hsv(f)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    hue_bin = np.minimum((h / 60.0).astype(np.int64), 5)
    sat_bin = np.digitize(s, [0.12, 0.35])
    val_bin = np.digitize(v, [0.35, 0.7])
    index = np.where(sat_bin == 0, 36 + val_bin, (hue_bin * 2 + (sat_bin - 1)) * 3 + val_bin)
    hist = np.bincount(index.ravel(), minlength=39) / index.size
    return float(np.sqrt(hist) @ _SW_WEIGHTS + _SW_BIAS)


def guess_domains(rgb: RGBImage) -> dict[str, float]:
    """A 0..1 score for each of ``DOMAINS``, from simple colour statistics.

    - night: a low mean L* (dark) with a blue cast (negative mean b*); day is its complement.
    - autumn: the red/orange/yellow share of the foliage (warm + green pixels).
    - spring and summer: the green share of the image; spring favours light
      yellow-greens, summer deep saturated greens and warmth.
    - summer and winter: complementary, from ``_summer_winter_margin``, a linear
      score over a coarse colour histogram (green and vivid warm bins push
      towards summer; bright grey, near-white and pale blue bins towards winter).
    """
    f = _small(rgb.astype(np.float32) * np.float32(1.0 / 255.0))
    lab = cv2.cvtColor(f, cv2.COLOR_RGB2Lab)
    hsv = _hsv(f)
    h, v = hsv[..., 0], hsv[..., 2]
    mean_l = float(lab[..., 0].mean())
    mean_b = float(lab[..., 2].mean())

    night = np.clip(0.75 * _logistic(-mean_l, -32.0, 6.0) + 0.25 * _logistic(-mean_b, 4.0, 4.0), 0.0, 1.0)

    green = _foliage(hsv)
    warm = _warm_foliage(hsv)
    green_share = float(green.mean())
    warm_share = float(warm.mean())
    foliage = green_share + warm_share
    autumn = (warm_share / (foliage + 1e-3)) * _logistic(foliage, 0.05, 0.02)
    light_green = float((green * _hue_band(h, 60.0, 100.0, 10.0) * _smoothstep(0.45, 0.7, v)).mean())
    spring = np.clip(_logistic(green_share, 0.12, 0.05) * (0.4 + 3.0 * light_green / (green_share + 1e-3)), 0.0, 1.0)

    margin = _summer_winter_margin(rgb)
    summer = _logistic(margin, 0.0, 0.5)
    winter = 1.0 - summer

    scores = {
        "day": 1.0 - float(night),
        "night": float(night),
        "spring": float(spring),
        "autumn": float(np.clip(autumn, 0.0, 1.0)),
        "summer": summer,
        "winter": winter,
    }
    return {k: round(scores[k], 4) for k in DOMAINS}

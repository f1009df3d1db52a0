"""The measures drawn over the photo: thirds grid, target and group boxes, skeletons, the head-top,
chin and feet lines, and the first piece of advice. Sizes scale with the image, so it reads the same
at 320 px and at 1000 px."""

from __future__ import annotations

import math

import cv2
import numpy as np

from apps.core.imageio import RGBImage

from .guidance import horizontal_target
from .measure import MIN_VISIBILITY, SKELETON
from .types import Analysis, Guidance, PersonMeasure, Profile

Colour = tuple[int, int, int]  # RGB
# One colour per person; fixed ones for the measures.
PERSON_COLOURS: tuple[Colour, ...] = ((64, 200, 255), (255, 102, 178), (140, 230, 90), (255, 170, 60))
HEAD_COLOUR = (255, 214, 64)
CHIN_COLOUR = (255, 140, 90)
FEET_COLOUR = (110, 220, 255)
TARGET_COLOUR = (90, 235, 160)
GROUP_COLOUR = (255, 255, 255)
BANNER_OK = (28, 140, 84)
BANNER_ADVICE = (24, 28, 36)
INK = (255, 255, 255)
SHADOW = (0, 0, 0)
FONT = cv2.FONT_HERSHEY_DUPLEX


def target_box(analysis: Analysis, profile: Profile) -> tuple[int, int, int, int]:
    """Where the group should be (x, y, w, h): the profile's head and foot room, the group's own shape, at its
    horizontal target. Without feet in the profile the box runs to the bottom edge."""
    width, height = analysis.frame_size
    top = profile.headroom * height
    bottom = height * (1 - profile.footroom) if profile.footroom is not None else height
    bottom = max(bottom, top + 1)
    framing = analysis.framing
    if framing is not None and framing.box[3] > 0:
        # Keep the group's proportions; a cut group is scaled by the body it shows.
        shown = framing.box[3] / max(framing.body_shown, 0.3) if framing.footroom is None else framing.box[3]
        full = (bottom - top) / (profile.body_shown or 1.0) if profile.footroom is None else bottom - top
        box_width = framing.box[2] * full / max(shown, 1.0)
        centre = horizontal_target(profile.horizontal, framing.centre_x, framing.subject_width)
    else:
        box_width = 0.3 * (bottom - top)
        centre = horizontal_target(profile.horizontal, 0.5)
    box_width = min(box_width, float(width))
    x0 = float(np.clip(centre * width - box_width / 2, 0, width - box_width))
    return round(x0), round(top), max(1, round(box_width)), max(1, round(bottom - top))


def draw_overlay(rgb: RGBImage, analysis: Analysis, profile: Profile) -> RGBImage:
    """A copy of ``rgb`` (the analysed frame, at ``analysis.frame_size``) with the measures drawn over it."""
    canvas = np.ascontiguousarray(rgb.copy())
    height, width = canvas.shape[:2]
    unit = max(height, width) / 640  # 1 at 640 px
    thin = max(1, round(1.2 * unit))
    thick = max(2, round(2.4 * unit))
    framing = analysis.framing
    # The advice goes at the bottom, over the legs, unless the feet are in frame with more room above the heads.
    banner_at_top = framing is not None and framing.footroom is not None and framing.headroom > framing.footroom
    _thirds(canvas, thin)
    target = target_box(analysis, profile)
    _dashed_rectangle(canvas, target, TARGET_COLOUR, thick, dash=max(6, round(14 * unit)))
    # Its label outside a side edge (the roomier one), halfway down: where the people are not when on target.
    right_edge, middle = target[0] + target[2], target[1] + target[3] // 2
    outside_right = width - right_edge >= target[0]
    anchor = (right_edge, middle) if outside_right else (target[0], middle)
    _label(canvas, "target", anchor, TARGET_COLOUR, unit, right_aligned=not outside_right)
    if framing is not None:
        _translucent_rectangle(canvas, framing.box, GROUP_COLOUR, thin, 0.6)
    for index, person in enumerate(analysis.people):
        _skeleton(canvas, person, PERSON_COLOURS[index % len(PERSON_COLOURS)], thick, unit)
    group_centre = framing.centre_x * width if framing is not None else width / 2
    for person in analysis.people:
        # Labels go outwards: away from the group's middle, or towards the wider side for one person.
        outwards_right = _head_x(person) >= group_centre if len(analysis.people) > 1 else _head_x(person) < width / 2
        _measure_lines(canvas, person, thick, unit, outwards_right)
    if analysis.guidance:
        _banner(canvas, analysis.guidance[0], analysis.in_tolerance, unit, banner_at_top)
    return canvas


def _blend(canvas: RGBImage, layer: RGBImage, mask: np.ndarray, alpha: float) -> None:
    canvas[mask] = (canvas[mask] * (1 - alpha) + layer[mask] * alpha).astype(np.uint8)


def _thirds(canvas: RGBImage, thickness: int) -> None:
    height, width = canvas.shape[:2]
    layer = canvas.copy()
    for i in (1, 2):
        cv2.line(layer, (round(width * i / 3), 0), (round(width * i / 3), height), INK, thickness, cv2.LINE_AA)
        cv2.line(layer, (0, round(height * i / 3)), (width, round(height * i / 3)), INK, thickness, cv2.LINE_AA)
    _blend(canvas, layer, np.any(layer != canvas, axis=2), 0.35)


def _translucent_rectangle(
    canvas: RGBImage, box: tuple[int, int, int, int], colour: Colour, thickness: int, alpha: float
) -> None:
    x, y, w, h = box
    layer = canvas.copy()
    cv2.rectangle(layer, (x, y), (x + w - 1, y + h - 1), colour, thickness, cv2.LINE_AA)
    _blend(canvas, layer, np.any(layer != canvas, axis=2), alpha)


def _dashed_rectangle(
    canvas: RGBImage, box: tuple[int, int, int, int], colour: Colour, thickness: int, dash: int
) -> None:
    x, y, w, h = box
    x1, y1 = x + w - 1, y + h - 1
    for (ax, ay), (bx, by) in (((x, y), (x1, y)), ((x1, y), (x1, y1)), ((x1, y1), (x, y1)), ((x, y1), (x, y))):
        length = math.hypot(bx - ax, by - ay)
        steps = max(1, int(length // dash))
        for step in range(0, steps, 2):
            t0, t1 = step / steps, min(1.0, (step + 1) / steps)
            start = (round(ax + (bx - ax) * t0), round(ay + (by - ay) * t0))
            end = (round(ax + (bx - ax) * t1), round(ay + (by - ay) * t1))
            cv2.line(canvas, start, end, colour, thickness, cv2.LINE_AA)


def _text_size(text: str, unit: float) -> tuple[float, int, tuple[int, int], int]:
    scale = 0.5 * max(unit, 0.68)
    weight = max(1, round(1.1 * max(unit, 0.55)))
    (tw, th), baseline = cv2.getTextSize(text, FONT, scale, weight)
    return scale, weight, (tw, th), baseline


def _outlined_text(
    canvas: RGBImage, text: str, origin: tuple[int, int], colour: Colour, scale: float, weight: int
) -> None:
    cv2.putText(canvas, text, origin, FONT, scale, SHADOW, weight + 2, cv2.LINE_AA)
    cv2.putText(canvas, text, origin, FONT, scale, colour, weight, cv2.LINE_AA)


def _label(
    canvas: RGBImage, text: str, at: tuple[int, int], colour: Colour, unit: float, right_aligned: bool = False
) -> None:
    height, width = canvas.shape[:2]
    scale, weight, (tw, th), descent = _text_size(text, unit)
    pad = max(2, round(3 * unit))
    x = at[0] - tw - pad if right_aligned else at[0] + pad
    y = at[1] - pad - descent  # the text sits on ``at``'s row
    x = int(np.clip(x, pad, max(pad, width - tw - pad)))
    y = int(np.clip(y, th + pad, height - pad))
    _outlined_text(canvas, text, (x, y), colour, scale, weight)


def _skeleton(canvas: RGBImage, person: PersonMeasure, colour: Colour, thickness: int, unit: float) -> None:
    points = [(x, y) for x, y, _ in person.landmarks]
    seen = [v >= MIN_VISIBILITY and math.isfinite(x) and math.isfinite(y) for x, y, v in person.landmarks]
    for a, b in SKELETON:
        if seen[a] and seen[b]:
            start, end = (round(points[a][0]), round(points[a][1])), (round(points[b][0]), round(points[b][1]))
            cv2.line(canvas, start, end, SHADOW, thickness + 2, cv2.LINE_AA)
            cv2.line(canvas, start, end, colour, thickness, cv2.LINE_AA)
    radius = max(2, round(2.6 * unit))
    for index in (0, *range(11, 17), *range(23, 33)):
        if seen[index]:
            centre = (round(points[index][0]), round(points[index][1]))
            cv2.circle(canvas, centre, radius + 1, SHADOW, -1, cv2.LINE_AA)
            cv2.circle(canvas, centre, radius, colour, -1, cv2.LINE_AA)


def _seen(person: PersonMeasure) -> set[int]:
    return {i for i, (x, y, v) in enumerate(person.landmarks) if v >= MIN_VISIBILITY and math.isfinite(x + y)}


def _head_x(person: PersonMeasure) -> float:
    seen = _seen(person)
    head = [person.landmarks[i][0] for i in (0, 2, 5, 7, 8) if i in seen]
    return float(np.median(head)) if head else person.box[0] + person.box[2] / 2


def _measure_lines(canvas: RGBImage, person: PersonMeasure, thickness: int, unit: float, on_right: bool) -> None:
    """Head top and chin across the head, feet across the feet, each labelled at one end (the right one when
    ``on_right``; the other when the text does not fit)."""
    height, width = canvas.shape[:2]
    seen = _seen(person)
    head_x = _head_x(person)
    head_height = max(person.chin_y - person.head_top_y, 4.0)
    feet_xs = [person.landmarks[i][0] for i in range(27, 33) if i in seen]
    feet_x = (min(feet_xs), max(feet_xs)) if feet_xs else (head_x, head_x)
    half = 0.55 * head_height  # a little wider than the head
    lines = [("head top", person.head_top_y, HEAD_COLOUR, (head_x - half, head_x + half)),
             ("chin", person.chin_y, CHIN_COLOUR, (head_x - half, head_x + half))]  # fmt: skip
    if person.feet_y is not None:
        lines.append(("feet", person.feet_y, FEET_COLOUR, (feet_x[0] - 0.5 * half, feet_x[1] + 0.5 * half)))
    for text, y_value, colour, (start_x, end_x) in lines:
        x0, x1 = max(0, round(start_x)), min(width - 1, round(end_x))
        y = int(np.clip(round(y_value), thickness // 2, height - 1 - thickness // 2))
        cv2.line(canvas, (x0, y), (x1, y), SHADOW, thickness + 2, cv2.LINE_AA)
        cv2.line(canvas, (x0, y), (x1, y), colour, thickness, cv2.LINE_AA)
        if text == "head top" and person.head_top_y <= 0:
            text = "head cut"
        if text == "feet" and person.head_ratio:
            text = f"feet: {1 / person.head_ratio:.1f} heads tall"
        _, _, (tw, th), descent = _text_size(text, unit)
        pad = max(2, round(3 * unit))
        label_right = width - x1 >= tw + 2 * pad if on_right else x0 < tw + 2 * pad
        baseline = y + th // 2 + pad + descent  # the text centred on the line
        anchor = (x1, baseline) if label_right else (x0, baseline)
        _label(canvas, text, anchor, colour, unit, right_aligned=not label_right)


def _wrap(text: str, scale: float, weight: int, available: int) -> list[str]:
    """One line if it fits, else two split at the colon (or the space nearest the middle)."""
    if cv2.getTextSize(text, FONT, scale, weight)[0][0] <= available or " " not in text:
        return [text]
    if ": " in text:
        head, tail = text.split(": ", 1)
        return [head + ":", tail]
    spaces = [i for i, c in enumerate(text) if c == " "]
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return [text[:cut], text[cut + 1 :]]


def _banner(canvas: RGBImage, advice: Guidance, ok: bool, unit: float, at_top: bool) -> None:
    """The advice in a pill by the top or bottom edge: dark, or green when it is time to hold; its arrow first."""
    height, width = canvas.shape[:2]
    scale = 0.62 * max(unit, 0.68)
    weight = max(1, round(1.3 * max(unit, 0.5)))
    pad = max(4, round(8 * unit))
    margin = max(3, round(6 * unit))
    line_h = cv2.getTextSize("Hg", FONT, scale, weight)[0][1]
    icon = line_h + 2 * pad if advice.arrow else 0
    available = width - 2 * margin - 2 * pad - icon
    lines = _wrap(advice.text, scale, weight, available)
    widest = max(cv2.getTextSize(line, FONT, scale, weight)[0][0] for line in lines)
    if widest > available:  # shrink to fit rather than cut the advice
        scale *= available / widest
        line_h = cv2.getTextSize("Hg", FONT, scale, weight)[0][1]
        widest = max(cv2.getTextSize(line, FONT, scale, weight)[0][0] for line in lines)
    gap = round(0.6 * line_h)
    pill_h = len(lines) * line_h + (len(lines) - 1) * gap + 2 * pad
    pill_w = widest + icon + 2 * pad
    x0 = (width - pill_w) // 2
    y0 = margin if at_top else height - margin - pill_h
    layer = canvas.copy()
    radius = min(pill_h // 2, round(14 * max(unit, 0.5)))
    colour = BANNER_OK if ok else BANNER_ADVICE
    cv2.rectangle(layer, (x0 + radius, y0), (x0 + pill_w - radius, y0 + pill_h), colour, -1, cv2.LINE_AA)
    cv2.rectangle(layer, (x0, y0 + radius), (x0 + pill_w, y0 + pill_h - radius), colour, -1, cv2.LINE_AA)
    for cx in (x0 + radius, x0 + pill_w - radius):
        for cy in (y0 + radius, y0 + pill_h - radius):
            cv2.circle(layer, (cx, cy), radius, colour, -1, cv2.LINE_AA)
    area = (slice(max(0, y0 - 1), y0 + pill_h + 2), slice(max(0, x0 - 1), x0 + pill_w + 2))
    canvas[area] = (canvas[area] * 0.2 + layer[area] * 0.8).astype(np.uint8)
    if advice.arrow:
        _arrow_icon(canvas, advice.arrow, (x0 + pad + icon // 2 - pad // 2, y0 + pill_h // 2), line_h // 2 + 2,
                    weight + 1)  # fmt: skip
    for i, line in enumerate(lines):
        baseline_y = y0 + pad + line_h + i * (line_h + gap)
        cv2.putText(canvas, line, (x0 + pad + icon, baseline_y), FONT, scale, INK, weight, cv2.LINE_AA)


def _arrow_icon(canvas: RGBImage, arrow: str, centre: tuple[int, int], radius: int, thickness: int) -> None:
    cx, cy = centre
    r = radius
    straight = {"up": (0, 1), "down": (0, -1), "left": (1, 0), "right": (-1, 0)}
    if arrow in straight:
        dx, dy = straight[arrow]
        cv2.arrowedLine(canvas, (cx + dx * r, cy + dy * r), (cx - dx * r, cy - dy * r), INK, thickness,
                        cv2.LINE_AA, tipLength=0.45)  # fmt: skip
    elif arrow in ("rotate_left", "rotate_right"):
        cv2.ellipse(canvas, (cx, cy), (r, r), 0, 200, 340 + 0, INK, thickness, cv2.LINE_AA)
        # The arrowhead at the arc's end: clockwise ends on the right, anticlockwise on the left.
        end_angle = math.radians(340 if arrow == "rotate_right" else 200)
        ex, ey = cx + r * math.cos(end_angle), cy + r * math.sin(end_angle)
        direction = 1 if arrow == "rotate_right" else -1
        tangent = (-math.sin(end_angle) * direction, math.cos(end_angle) * direction)
        start = (round(ex - tangent[0] * r * 0.6), round(ey - tangent[1] * r * 0.6))
        cv2.arrowedLine(canvas, start, (round(ex), round(ey)), INK, thickness, cv2.LINE_AA, tipLength=0.9)
    else:
        # Four corner arrows: outwards for "forward" (the people grow), inwards for "back".
        inner, outer = 0.25 * r, r
        for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            a = (round(cx + sx * inner), round(cy + sy * inner))
            b = (round(cx + sx * outer), round(cy + sy * outer))
            start, end = (a, b) if arrow == "forward" else (b, a)
            cv2.arrowedLine(canvas, start, end, INK, max(1, thickness - 1), cv2.LINE_AA, tipLength=0.6)

"""The seasons flow in headless Chromium: crop editor, direction guess, and the three reveals."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse

from tests.images import SHARED_DATA, encode

pytestmark = [pytest.mark.browser, pytest.mark.models, pytest.mark.django_db(transaction=True)]

RESULT_URL = re.compile(r"/seasons/[\w-]{10,}/$")
ALPHA_AT = (
    "([x, y]) => document.querySelector('[data-scratch-canvas]').getContext('2d').getImageData(x, y, 1, 1).data[3]"
)


@pytest.fixture
def seasons_url(live_server) -> str:
    try:
        return live_server.url + reverse("seasons:new")
    except NoReverseMatch:
        pytest.skip("the seasons app is not wired into emopic/urls.py yet")


@pytest.fixture
def landscape(tmp_path) -> Path:
    """A Yosemite summer photo, or scikit-image's coffee cup when the shared data is absent."""
    photos = sorted((SHARED_DATA / "summer2winter_yosemite" / "testA").glob("*.jpg"))
    if photos:
        return photos[0]
    from skimage import data

    path = tmp_path / "coffee.jpg"
    path.write_bytes(encode(data.coffee(), "JPEG", quality=92))
    return path


def crop_values(page) -> list[int]:
    return [int(page.locator(f"[data-crop-{key}]").input_value()) for key in ("x", "y", "size")]


def make_result(page, seasons_url: str, photo: Path, direction: str) -> None:
    """Fill the form as a person would and land on the result page (retrying while the engine warms up)."""
    for attempt in range(3):
        page.goto(seasons_url)
        page.locator("[data-capture-file]").set_input_files(str(photo))
        page.locator("[data-crop-box]").wait_for(state="visible")
        page.locator(f"input[name=direction][value={direction}]").check(force=True)
        page.locator("[data-submit]").click()
        try:
            page.wait_for_url(RESULT_URL, timeout=60000)
            page.wait_for_load_state("load")
            return
        except Exception:
            if attempt == 2:
                raise
            time.sleep(5)


def drag(page, box: dict, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(box["x"] + start[0], box["y"] + start[1])
    page.mouse.down()
    page.mouse.move(box["x"] + end[0], box["y"] + end[1], steps=12)
    page.mouse.up()


def touch_drag(page, locator, start: tuple[float, float], end: tuple[float, float], steps: int = 10) -> None:
    """A one-finger drag through the DevTools protocol (Playwright only taps)."""
    box = locator.bounding_box()
    session = page.context.new_cdp_session(page)
    points = [
        (start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps)
        for i in range(steps + 1)
    ]
    for index, (x, y) in enumerate(points):
        kind = "touchStart" if index == 0 else "touchMove"
        session.send("Input.dispatchTouchEvent",
                     {"type": kind, "touchPoints": [{"x": box["x"] + x, "y": box["y"] + y}]})  # fmt: skip
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_the_crop_editor_and_the_guess_prepare_the_form(seasons_url, desktop_page, landscape, page_errors):
    page = desktop_page
    page.goto(seasons_url)
    assert page.locator("[data-submit]").is_disabled()
    assert page.locator("input[name=direction]").count() == 6
    page.locator("[data-capture-file]").set_input_files(str(landscape))
    box = page.locator("[data-crop-box]")
    box.wait_for(state="visible")

    # The default is the largest centred square of the original photo.
    width, height = page.locator("[data-capture-preview]").evaluate("i => [i.naturalWidth, i.naturalHeight]")
    side = min(width, height)
    assert crop_values(page) == [(width - side) // 2, (height - side) // 2, side]

    # A corner makes it smaller (still square, inside the photo), and the square moves by dragging.
    box.scroll_into_view_if_needed()
    frame = box.bounding_box()
    drag(page, frame, (frame["width"] - 3, frame["height"] - 3), (frame["width"] * 0.55, frame["height"] * 0.55))
    x, y, size = crop_values(page)
    assert size < side and x + size <= width and y + size <= height
    frame = box.bounding_box()
    drag(page, frame, (frame["width"] / 2, frame["height"] / 2), (frame["width"], frame["height"] * 0.8))
    moved_x, moved_y, moved_size = crop_values(page)
    assert moved_x > x and moved_size == size and moved_x + moved_size <= width
    # Arrow keys nudge it back.
    box.focus()
    page.keyboard.press("ArrowLeft")
    assert crop_values(page)[0] < moved_x

    # The guess preselects the direction that leads away from the photo's domain, and says why.
    note = page.locator("[data-guess-note]")
    page.wait_for_function("document.querySelector('[data-guess-note]').textContent.startsWith('Looks like')")
    checked = page.locator("input[name=direction]:checked")
    source = checked.get_attribute("data-source")
    assert f"Looks like a {source} photo" in note.text_content()
    assert page.locator(".seasons-direction", has=checked).locator(".seasons-suggested").is_visible()

    # The person can still choose another one, and the crop reaches the server.
    page.locator(".seasons-direction", has_text="Summer → winter").click()
    assert page.locator("input[value=summer2winter]").is_checked()
    page.locator("[data-submit]").click()
    page.wait_for_url(RESULT_URL, timeout=60000)
    assert page.get_by_role("heading", name="Summer → winter", level=1).is_visible()
    assert page_errors == []


def test_scratching_with_the_mouse_reveals_the_night(seasons_url, desktop_page, landscape, page_errors):
    page = desktop_page
    make_result(page, seasons_url, landscape, "day2night")
    assert page.get_by_text("Scratch to reveal the night").first.is_visible()
    canvas = page.locator("[data-scratch-canvas]")
    page.wait_for_function("document.querySelector('[data-scratch-stage]').classList.contains('is-ready')")
    size = canvas.evaluate("c => c.width")
    middle = [size // 2, size // 2]
    assert page.evaluate(ALPHA_AT, middle) == 255
    box = canvas.bounding_box()
    drag(page, box, (10, box["height"] / 2), (box["width"] - 10, box["height"] / 2))
    assert page.evaluate(ALPHA_AT, middle) == 0
    assert page.evaluate(ALPHA_AT, [size // 2, 2]) == 255  # only where the brush went

    reveal_all = page.get_by_role("button", name="Reveal all")
    reveal_all.click()
    page.wait_for_timeout(600)
    assert page.evaluate(ALPHA_AT, [size // 2, 2]) == 0
    assert reveal_all.get_attribute("aria-pressed") == "true"
    reveal_all.click()  # covers the photo again, for another go
    assert page.evaluate(ALPHA_AT, [size // 2, 2]) == 255
    assert page_errors == []


def test_scratching_with_a_finger_works_on_a_phone(seasons_url, phone_page, landscape, page_errors):
    page = phone_page
    make_result(page, seasons_url, landscape, "night2day")
    canvas = page.locator("[data-scratch-canvas]")
    page.wait_for_function("document.querySelector('[data-scratch-stage]').classList.contains('is-ready')")
    size = canvas.evaluate("c => c.width")
    box = canvas.bounding_box()
    scroll_before = page.evaluate("scrollY")
    touch_drag(page, canvas, (15, box["height"] / 2), (box["width"] - 15, box["height"] / 2))
    assert page.evaluate(ALPHA_AT, [size // 2, size // 2]) == 0
    assert page.evaluate("scrollY") == scroll_before  # the finger scratched instead of scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page_errors == []


def test_hovering_clears_the_blur_under_the_pointer(seasons_url, desktop_page, landscape, page_errors):
    page = desktop_page
    make_result(page, seasons_url, landscape, "spring2autumn")
    stage = page.locator("[data-hover-stage]")
    sharp = page.locator("[data-hover-sharp]")
    clip = lambda: sharp.evaluate("e => getComputedStyle(e).clipPath")  # noqa: E731
    box = stage.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.wait_for_timeout(300)
    first = clip()
    assert first.startswith("circle(") and not first.startswith("circle(0px")
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.6, steps=5)
    page.wait_for_timeout(300)
    assert clip() != first

    show_all = page.get_by_role("button", name="Show all")
    show_all.click()
    assert show_all.get_attribute("aria-pressed") == "true"
    page.wait_for_timeout(800)  # the circle opens to the whole photo with a transition
    assert clip().startswith("circle(150%")
    assert page_errors == []


def test_a_finger_moves_the_sharp_circle_on_a_phone(seasons_url, phone_page, landscape, page_errors):
    page = phone_page
    make_result(page, seasons_url, landscape, "autumn2spring")
    stage = page.locator("[data-hover-stage]")
    sharp = page.locator("[data-hover-sharp]")
    box = stage.bounding_box()
    positions = []
    session = page.context.new_cdp_session(page)
    for index, fraction in enumerate((0.25, 0.5, 0.75)):
        point = {"x": box["x"] + box["width"] * fraction, "y": box["y"] + box["height"] * 0.5}
        session.send("Input.dispatchTouchEvent", {"type": "touchStart" if index == 0 else "touchMove",
                                                  "touchPoints": [point]})  # fmt: skip
        page.wait_for_timeout(250)
        positions.append(sharp.evaluate("e => getComputedStyle(e).clipPath"))
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    assert len(set(positions)) == 3
    assert page_errors == []


@pytest.mark.parametrize("viewport", ["desktop_page", "phone_page"])
def test_scrolling_wipes_winter_in(seasons_url, viewport, request, landscape, page_errors):
    page = request.getfixturevalue(viewport)
    make_result(page, seasons_url, landscape, "summer2winter")
    wipe = page.locator("[data-scroll-wipe]")
    clip = lambda: wipe.evaluate("e => getComputedStyle(e).clipPath")  # noqa: E731
    before = clip()
    assert "100%" in before  # nothing of winter yet
    page.evaluate("window.scrollBy(0, 600)")
    page.wait_for_timeout(300)
    middle = clip()
    assert middle != before
    page.evaluate("window.scrollTo(0, document.querySelector('[data-scroll-track]').offsetTop + 5000)")
    page.wait_for_timeout(300)
    assert clip() not in (before, middle)
    assert page_errors == []


def test_the_comparison_slider_and_the_download(seasons_url, desktop_page, landscape, page_errors):
    page = desktop_page
    make_result(page, seasons_url, landscape, "winter2summer")
    after = page.locator("[data-compare-after]")
    clip = lambda: after.evaluate("e => getComputedStyle(e).clipPath")  # noqa: E731
    start = clip()
    slider = page.get_by_role("slider", name=re.compile("Compare"))
    slider.fill("20")
    assert clip() != start
    slider.focus()
    page.keyboard.press("ArrowRight")
    assert slider.get_attribute("aria-valuetext") == "21% of the result shown"

    assert page.locator("[data-engine]").first.is_visible()
    assert page.get_by_text(re.compile(r"Made in \d+ ms")).is_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename.endswith("winter2summer.jpg")
    page.get_by_role("link", name="Try another direction").click()
    page.wait_for_url(seasons_url)
    assert page_errors == []

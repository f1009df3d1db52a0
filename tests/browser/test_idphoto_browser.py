"""The idphoto flow as a person uses it, in headless Chromium: upload, webcam, colours, downloads."""

from __future__ import annotations

import re

import pytest

from tests.images import astronaut, encode

pytestmark = [pytest.mark.browser, pytest.mark.models, pytest.mark.django_db(transaction=True)]


def test_the_home_page_presents_the_five_tools_on_a_phone(live_server, phone_page, page_errors):
    phone_page.goto(live_server.url + "/")
    for name in ("Emotional ID photo", "Emoticon of you", "Seasons", "Suit up", "Composition coach"):
        assert phone_page.get_by_text(name).first.is_visible()
    assert phone_page.get_by_text("Coming soon").count() == 0  # all five are built
    # Nothing overflows sideways on a phone.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page_errors == []


def test_an_uploaded_photo_becomes_an_id_photo_and_a_swatch_changes_it(live_server, desktop_page, tmp_path,
                                                                        page_errors):  # fmt: skip
    photo = tmp_path / "me.jpg"
    photo.write_bytes(encode(astronaut(), "JPEG", quality=92))
    page = desktop_page
    page.goto(live_server.url + "/idphoto/")
    submit = page.locator("[data-submit]")
    assert submit.is_disabled()
    page.locator("[data-capture-file]").set_input_files(str(photo))
    assert page.locator("[data-capture-preview]").is_visible()
    submit.click()
    page.wait_for_url(re.compile(r"/idphoto/[\w-]{20,}/$"))
    assert page.get_by_role("heading", name="Your emotional ID photo").is_visible()
    preview = page.locator("[data-preview]")
    first_colour = preview.evaluate("e => getComputedStyle(e).backgroundColor")
    swatches = page.locator(".colour-choice")
    assert swatches.count() >= 5
    swatches.nth(2).click()
    page.wait_for_load_state("load")
    assert preview.evaluate("e => getComputedStyle(e).backgroundColor") != first_colour
    assert page.locator(".engine", has_text="closed-form matting").is_visible()
    size_link = page.locator(".id-sizes a", has_text="Photo").first
    with page.expect_download() as download:
        size_link.click()
    assert download.value.suggested_filename.startswith("emopic-id-")
    assert page_errors == []


def test_a_webcam_capture_becomes_an_id_photo_and_the_camera_is_stopped(live_server, phone_page, page_errors):
    page = phone_page
    page.goto(live_server.url + "/idphoto/")
    page.get_by_role("tab", name="Use your camera").click()
    page.locator("[data-capture-start]").click()
    snap = page.locator("[data-capture-snap]")
    snap.wait_for(state="visible")
    page.wait_for_function("document.querySelector('[data-capture-video]').videoWidth > 0")
    page.wait_for_function("!document.querySelector('[data-capture-snap]').disabled")
    snap.click()
    assert page.locator("[data-capture-still]").is_visible()
    assert page.locator("[data-capture-retake]").is_visible()
    # The camera is released right after the capture, to save battery.
    live_tracks = page.evaluate(
        "() => { const v = document.querySelector('[data-capture-video]');"
        " return v.srcObject ? v.srcObject.getTracks().filter(t => t.readyState === 'live').length : 0; }"
    )
    assert live_tracks == 0
    page.locator("[data-submit]").click()
    page.wait_for_url(re.compile(r"/idphoto/[\w-]{20,}/$"), timeout=30000)
    assert page.get_by_role("heading", name="Your emotional ID photo").is_visible()
    assert page_errors == []


def test_a_broken_file_is_explained_in_the_browser_before_anything_is_sent(live_server, desktop_page, tmp_path):
    broken = tmp_path / "holiday.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this file was cut short")
    page = desktop_page
    page.goto(live_server.url + "/idphoto/")
    page.locator("[data-capture-file]").set_input_files(str(broken))
    page.get_by_text("It may be damaged").wait_for()
    assert page.locator("[data-submit]").is_disabled()


def test_a_photo_without_a_face_gets_the_reason_on_the_page(live_server, desktop_page, tmp_path):
    from tests.images import flat_image

    wall = tmp_path / "wall.jpg"
    wall.write_bytes(encode(flat_image(400, 300, (200, 190, 170)), "JPEG"))
    page = desktop_page
    page.goto(live_server.url + "/idphoto/")
    page.locator("[data-capture-file]").set_input_files(str(wall))
    page.locator("[data-submit]").click()
    page.get_by_role("alert").filter(has_text="No face was found").wait_for()
    assert "/idphoto/" in page.url

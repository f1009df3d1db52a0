"""The emoticon flow in headless Chromium: the camera page, a capture, the result, a correction."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.models, pytest.mark.django_db(transaction=True)]


def test_a_webcam_capture_becomes_an_emoticon_that_can_be_corrected(live_server, phone_page, page_errors):
    page = phone_page
    page.goto(live_server.url + "/emoticon/camera/")
    # The camera page opens on the camera tab, but the camera waits for the button.
    assert page.get_by_role("tab", name="Use your camera").get_attribute("aria-selected") == "true"
    page.locator("[data-capture-start]").click()
    page.wait_for_function("document.querySelector('[data-capture-video]').videoWidth > 0")
    page.wait_for_function("!document.querySelector('[data-capture-snap]').disabled")
    page.locator("[data-capture-snap]").click()
    page.get_by_role("button", name="Make my emoticon").click()
    page.wait_for_url(re.compile(r"/emoticon/[\w-]{20,}/$"), timeout=30000)
    assert page.get_by_role("heading", name="Your emoticon").is_visible()
    assert page.locator(".emotion-bars [role=meter]").count() == 7
    art = page.locator(".emoticon-art img")
    assert art.evaluate("img => img.complete && img.naturalWidth") == 512
    before = art.get_attribute("src")
    page.get_by_text("Sunglasses").click()
    page.get_by_role("button", name="Redraw my emoticon").click()
    page.wait_for_load_state("load")
    assert page.locator(".emoticon-art img").get_attribute("src") != before or page.url.endswith("/")
    assert page.locator("input[name=glasses][value=sunglasses]").is_checked()
    assert page_errors == []


def test_the_upload_page_on_a_desktop_explains_a_photo_without_a_face(live_server, desktop_page, tmp_path):
    from tests.images import encode, flat_image

    wall = tmp_path / "wall.jpg"
    wall.write_bytes(encode(flat_image(400, 300, (120, 160, 200)), "JPEG"))
    page = desktop_page
    page.goto(live_server.url + "/emoticon/")
    page.locator("[data-capture-file]").set_input_files(str(wall))
    page.get_by_role("button", name="Make my emoticon").click()
    page.get_by_role("alert").filter(has_text="No face was found").wait_for()

"""The suit flow as a person uses it, in headless Chromium: photo, style, result, fit sliders, download."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tests.images import astronaut, encode, shared_photo

pytestmark = [pytest.mark.browser, pytest.mark.models, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"


def test_a_photo_and_a_chosen_style_become_a_suit_photo_that_can_be_refitted(live_server, phone_page, tmp_path,
                                                                             page_errors):  # fmt: skip
    photo = tmp_path / "me.jpg"
    photo.write_bytes(encode(astronaut(), "JPEG", quality=92))
    page = phone_page
    page.goto(live_server.url + "/suit/")
    styles = page.locator(".suit-style")
    assert styles.count() >= 6
    # Every style's drawing has loaded.
    page.wait_for_function("[...document.querySelectorAll('.suit-style img')].every(i => i.complete && i.naturalWidth)")
    page.locator("[data-capture-file]").set_input_files(str(photo))
    styles.filter(has_text="Charcoal jacket").first.click()
    assert page.locator(".suit-style", has_text="Charcoal jacket").locator("input").is_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows on a phone
    page.locator("[data-submit]").click()
    page.wait_for_url(re.compile(r"/suit/[\w-]{20,}/$"), timeout=30000)
    assert page.get_by_role("heading", name="Your suit photo").is_visible()
    assert page.locator(".engine", has_text="vector suit").is_visible()
    first = page.locator(".suit-photo").get_attribute("src")

    page.locator("#suit-widen").fill("0.1")
    page.locator(".suit-refit [data-submit]").click()
    page.wait_for_load_state("load")
    assert page.locator(".suit-photo").get_attribute("src") != first
    assert float(page.locator("#suit-widen").input_value()) == 0.1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "suit-result-phone.png"), full_page=True)

    with page.expect_download() as download:
        page.locator(".id-sizes a", has_text="Photo (JPG)").first.click()
    assert download.value.suggested_filename == "emopic-suit-id-35x45.jpg"
    assert page_errors == []


def test_a_close_up_without_shoulders_is_explained_on_the_form(live_server, desktop_page, tmp_path):
    face = shared_photo("faces/face_recognition/examples/knn_examples/train/rose_leslie/img2.jpg")[60:420, 90:480]
    close_up = tmp_path / "face.jpg"
    close_up.write_bytes(encode(np.ascontiguousarray(face), "JPEG", quality=92))
    page = desktop_page
    page.goto(live_server.url + "/suit/")
    page.locator("[data-capture-file]").set_input_files(str(close_up))
    page.locator("[data-submit]").click()
    page.wait_for_load_state("load")
    alert = page.get_by_role("alert")
    assert "shoulders" in alert.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "suit-no-shoulders-desktop.png"), full_page=True)

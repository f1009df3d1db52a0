"""Real-browser tests: Debian's headless Chromium driven by Playwright against the live test server."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.images import astronaut

# Playwright's sync API keeps an event loop in the test thread; the test's own
# database calls are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def write_y4m(path: Path, rgb: np.ndarray, frames: int = 2) -> Path:
    """A fake-camera video of a still photo (Chromium plays Y4M files as a webcam)."""
    height, width = rgb.shape[:2]
    i420 = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
    with path.open("wb") as handle:
        handle.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            handle.write(b"FRAME\n" + i420.tobytes())
    return path


@pytest.fixture(scope="session")
def fake_camera_video(tmp_path_factory) -> Path:
    return write_y4m(tmp_path_factory.mktemp("camera") / "astronaut.y4m", astronaut())


@pytest.fixture(scope="session")
def browser(fake_camera_video):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed: run `make browsers`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                *CHROMIUM_FLAGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={fake_camera_video}",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def page_errors():
    return []


@pytest.fixture
def phone_page(browser, page_errors):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    context.grant_permissions(["camera"])
    page = context.new_page()
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser, page_errors):
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["camera"])
    page = context.new_page()
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    yield page
    context.close()

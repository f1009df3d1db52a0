"""The composition coach in headless Chromium: live guidance over the socket, the shutter and the automatic
photo, a dropped connection, a blocked camera, and the upload fallback without JavaScript.

Django's ``live_server`` speaks HTTP only, and channels' ``ChannelsLiveServerTestCase`` refuses the
in-memory SQLite test database, so the live coach runs against a Daphne server in a subprocess
(``manage.py runserver``, which is Daphne's here) on a copy of the test database: same schema, its own
file and media folder. The tests read what the browser made from that copy.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, PHONE, write_y4m
from tests.images import REPO, astronaut, encode, opencv_sample

pytestmark = [pytest.mark.browser, pytest.mark.models, pytest.mark.django_db(transaction=True)]

ARTIFACTS = REPO / "test-artifacts"
SHOT_URL = re.compile(r"/composition/shots/([\w-]+)/$")
FRAMES = "Number(document.querySelector('[data-coach]').dataset.frames || 0)"
LIVE_TRACKS = (
    "() => { const v = document.querySelector('[data-coach-video]');"
    " return v.srcObject ? v.srcObject.getTracks().filter(t => t.readyState === 'live').length : 0; }"
)
OVERLAY_PIXELS = (
    "() => { const c = document.querySelector('[data-coach-overlay]');"
    " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
    " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"
)
# Frames come every 100 ms or so once the models are loaded; the first one loads them (seconds).
FIRST_ANSWER_MS = 90_000


@dataclass(frozen=True)
class CoachServer:
    url: str
    database: Path

    def shot(self, token: str) -> dict:
        with sqlite3.connect(self.database) as db:
            db.row_factory = sqlite3.Row
            row = db.execute("SELECT * FROM composition_compositionshot WHERE token = ?", (token,)).fetchone()
        assert row is not None, f"no shot {token} in the server's database"
        return dict(row)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def coach_server(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[CoachServer]:
    """Daphne (HTTP and WebSocket) on a file copy of the test database, stopped after the module."""
    from django.db import connection

    folder = tmp_path_factory.mktemp("coach-server")
    database = folder / "db.sqlite3"
    with django_db_blocker.unblock():
        connection.ensure_connection()
        with sqlite3.connect(database) as copy:
            connection.connection.backup(copy)
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "emopic.settings",
        "EMOPIC_DEBUG": "True",
        "EMOPIC_SQLITE_PATH": str(database),
        "EMOPIC_MEDIA_ROOT": str(folder / "media"),
    }
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/composition/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("the coach server did not start:\n" + (folder / "server.log").read_text()[-3000:])
            time.sleep(0.25)
        yield CoachServer(url=url, database=database)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"composition-{name}.png"))


def start_coach(page) -> None:
    page.locator("[data-coach-start]").click()
    page.wait_for_function(f"{FRAMES} >= 2", timeout=FIRST_ANSWER_MS)


def test_the_coach_guides_a_half_body_shot_and_the_shutter_takes_the_photo(coach_server, phone_page, page_errors):
    page = phone_page
    page.goto(coach_server.url + "/composition/")
    # Nothing is filmed before the visitor asks.
    assert page.locator("[data-coach-start]").is_visible()
    assert page.locator("[data-coach-video]").is_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "phone-idle")

    start_coach(page)
    # The astronaut is photographed from the waist up: the feet are the first thing to fix.
    say = page.locator("[data-coach-say]")
    assert say.get_attribute("data-code") == "feet_out_of_frame"
    assert "feet" in page.locator("[data-coach-text]").inner_text().lower()
    assert page.locator("[data-coach-arrow]").is_visible()
    assert page.locator('[data-measure="footroom"] [data-now]').inner_text() == "feet out"
    assert page.evaluate(OVERLAY_PIXELS) > 500
    # Screen readers hear the advice once, not every frame.
    assert page.locator("[data-coach-announce]").inner_text() == page.locator("[data-coach-text]").inner_text()
    # Frames keep flowing, one at a time: the counter advances.
    seen = page.evaluate(FRAMES)
    page.wait_for_function(f"{FRAMES} >= {seen + 3}", timeout=20_000)
    page.wait_for_timeout(300)  # let the smooth scroll to the stage settle before the screenshot
    screenshot(page, "phone-running")

    # Another look is sent over the same socket: three-quarter shots don't want the feet.
    page.locator("label.coach-profile", has_text="Three-quarter").click()
    page.get_by_text("Coaching towards “Three-quarter”.").wait_for(timeout=20_000)
    page.wait_for_function("document.querySelector('[data-coach-say]').dataset.code !== 'feet_out_of_frame'",
                           timeout=20_000)  # fmt: skip
    assert "profile=three-quarter" in page.url
    assert page.locator("[data-coach-profile-field]").input_value() == "three-quarter"

    page.locator("[data-coach-shutter]").click()
    page.wait_for_url(SHOT_URL, timeout=60_000)
    shot = coach_server.shot(SHOT_URL.search(page.url).group(1))
    assert shot["trigger"] == "shutter" and shot["profile_key"] == "three-quarter"
    assert page_errors == []


def test_a_front_cameras_mirrored_preview_asks_for_advice_as_seen_on_it(coach_server, phone_page, page_errors):
    page = phone_page
    urls: list[str] = []

    def relay(ws):
        urls.append(ws.url)
        ws.connect_to_server()

    # The fake camera says nothing of its facing, like most webcams; a phone's front camera says "user".
    page.add_init_script(
        "const settings = MediaStreamTrack.prototype.getSettings;"
        " MediaStreamTrack.prototype.getSettings = function () {"
        "   return {...settings.call(this), facingMode: 'user'}; };"
    )
    page.route_web_socket(re.compile(r"/ws/composition/"), relay)
    page.goto(coach_server.url + "/composition/?profile=centred-full-body")
    start_coach(page)
    assert "is-mirrored" in page.locator("[data-coach-stage]").get_attribute("class")
    assert urls and all("mirrored=1" in url and "profile=centred-full-body" in url for url in urls)
    assert page.evaluate(OVERLAY_PIXELS) > 500  # the target box and the skeleton, from the server's answers
    assert page_errors == []


def test_stop_releases_the_camera_and_a_dropped_socket_reconnects(coach_server, desktop_page, page_errors):
    page = desktop_page
    sockets = []

    def relay(ws):
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r"/ws/composition/"), relay)
    page.goto(coach_server.url + "/composition/?profile=centred-full-body")
    screenshot(page, "desktop-idle")
    start_coach(page)
    assert page.evaluate(LIVE_TRACKS) == 1
    # A camera that does not say it faces the user is shown as it sees: no mirror, advice as the camera sees.
    assert "mirrored" not in sockets[-1].url
    screenshot(page, "desktop-running")

    # The server goes away (1001, a restart): the page says so, offers Reconnect, and reconnects by itself.
    sockets[-1].close(code=1001, reason="test")
    page.locator("[data-coach-reconnect]").wait_for(state="visible", timeout=5_000)
    assert "Connection to the coach lost" in page.locator("[data-coach-status]").inner_text()
    screenshot(page, "desktop-reconnecting")
    seen = page.evaluate(FRAMES)
    page.wait_for_function(f"{FRAMES} > {seen}", timeout=20_000)
    assert len(sockets) == 2 and page.locator("[data-coach-reconnect]").is_hidden()

    # A page in the background turns the camera off; Start brings the coach back.
    page.evaluate("Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
                  " document.dispatchEvent(new Event('visibilitychange'));")  # fmt: skip
    assert page.evaluate(LIVE_TRACKS) == 0
    assert "in the background" in page.locator("[data-coach-status]").inner_text()
    page.evaluate("delete document.hidden")
    start_coach(page)

    page.locator("[data-coach-stop]").click()
    assert page.evaluate(LIVE_TRACKS) == 0
    assert page.locator("[data-coach-start]").is_visible()
    assert page_errors == []


def test_one_frame_is_in_flight_and_a_silent_server_is_called_slow(coach_server, desktop_page, page_errors):
    page = desktop_page
    sent: list[bytes] = []
    held: list[str] = []
    state = {"hold": False}

    def relay(ws):
        server = ws.connect_to_server()

        def upstream(message):
            if isinstance(message, bytes):
                sent.append(message)
            server.send(message)

        def downstream(message):
            if state["hold"]:
                held.append(message)
            else:
                ws.send(message)

        ws.on_message(upstream)
        server.on_message(downstream)

    page.route_web_socket(re.compile(r"/ws/composition/"), relay)
    page.goto(coach_server.url + "/composition/")
    start_coach(page)
    # A frame: a 4-byte big-endian number, then a small JPEG.
    assert int.from_bytes(sent[0][:4], "big") == 1 and sent[0][4:6] == b"\xff\xd8"
    numbers = [int.from_bytes(frame[:4], "big") for frame in sent]
    assert numbers == list(range(1, len(sent) + 1))

    # The server stops answering: one frame waits, no queue builds up; after 3 s another is sent anyway.
    state["hold"] = True
    page.wait_for_timeout(300)
    before = len(sent)
    page.wait_for_timeout(1500)
    assert len(sent) == before
    page.locator("[data-coach-connection]", has_text="Slow connection").wait_for(timeout=5_000)
    assert len(sent) == before + 1

    state["hold"] = False
    seen = page.evaluate(FRAMES)
    page.wait_for_function(f"{FRAMES} > {seen}", timeout=20_000)
    page.locator("[data-coach-connection]", has_text="Live").wait_for(timeout=5_000)
    assert page_errors == []


def test_a_blocked_camera_is_explained(coach_server, phone_page, page_errors):
    page = phone_page
    page.add_init_script(
        "navigator.mediaDevices.getUserMedia = () =>"
        " Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));"
    )
    page.goto(coach_server.url + "/composition/")
    page.locator("[data-coach-start]").click()
    status = page.locator("[data-coach-status]")
    status.filter(has_text="Camera access is blocked").wait_for()
    assert "is-error" in status.get_attribute("class")
    assert page.locator("[data-coach-start]").is_visible()
    page.wait_for_timeout(300)
    screenshot(page, "phone-camera-blocked")
    assert page_errors == []


def test_the_coach_takes_the_photo_by_itself_once_the_framing_holds(coach_server, browser, tmp_path):
    """A look made from a photo, then that same photo before the camera: every measure holds."""
    rgb = opencv_sample("basketball1.png")
    favourite = tmp_path / "favourite.png"
    favourite.write_bytes(encode(rgb, "PNG"))
    # Its own camera: the session's browser films the astronaut. I420 needs even sides.
    video = write_y4m(tmp_path / "favourite.y4m", rgb[: rgb.shape[0] // 2 * 2, : rgb.shape[1] // 2 * 2].copy())
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*CHROMIUM_FLAGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"],
    )  # fmt: skip
    try:
        context = camera.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
        context.grant_permissions(["camera"])
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(coach_server.url + "/composition/profiles/")
        page.fill("#profile-name", "Like this")
        page.set_input_files("#profile-references", str(favourite))
        page.get_by_role("button", name="Make the profile").click()
        page.wait_for_url(re.compile(r"/composition/profiles/\d+/$"), timeout=60_000)
        key = "mine-" + re.search(r"/profiles/(\d+)/$", page.url).group(1)

        page.goto(f"{coach_server.url}/composition/?profile={key}")
        page.locator("[data-coach-start]").click()
        # "Hold it there" for a few frames, then the photo, once, without a tap.
        page.wait_for_url(SHOT_URL, timeout=FIRST_ANSWER_MS)
        shot = coach_server.shot(SHOT_URL.search(page.url).group(1))
        assert shot["trigger"] == "auto" and shot["profile_key"] == key and shot["in_tolerance"]
        assert errors == []
    finally:
        camera.close()


def test_a_photo_can_be_analysed_without_javascript_or_camera(live_server, browser, tmp_path):
    from apps.composition.models import CompositionShot

    photo = tmp_path / "me.jpg"
    photo.write_bytes(encode(astronaut(), "JPEG", quality=92))
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/composition/?profile=three-quarter")
        # The page explains itself; the live coach's controls are not offered without JavaScript.
        assert page.get_by_text("The live coach needs JavaScript and a camera").is_visible()
        assert page.locator("[data-coach-start]").is_hidden()
        upload = page.locator("[data-coach-upload]")
        upload.scroll_into_view_if_needed()
        screenshot(page, "phone-no-javascript")
        upload.locator('input[type="file"][name="image"]').set_input_files(str(photo))
        upload.get_by_role("button", name="Analyse the photo").click()
        page.wait_for_url(SHOT_URL, timeout=60_000)
        assert page.get_by_role("heading", level=1).is_visible()
        shot = CompositionShot.objects.get(token=SHOT_URL.search(page.url).group(1))
        assert shot.trigger == "upload" and shot.profile_key == "three-quarter"
    finally:
        context.close()


def test_a_photo_can_be_uploaded_below_the_coach(live_server, desktop_page, tmp_path, page_errors):
    photo = tmp_path / "me.jpg"
    photo.write_bytes(encode(astronaut(), "JPEG", quality=92))
    page = desktop_page
    page.goto(live_server.url + "/composition/")
    upload = page.locator("[data-coach-upload]")
    submit = upload.locator("[data-submit]")
    assert submit.is_disabled()
    upload.locator("[data-capture-file]").set_input_files(str(photo))
    submit.click()
    page.wait_for_url(SHOT_URL, timeout=60_000)
    assert page.get_by_role("link", name="Back to the coach").is_visible()
    assert page_errors == []

"""Queued generation (EMOPIC_JOBS=celery) as a person sees it: the waiting page, then the result or the error.

The worker is played by a timer in the server's process that runs the real task after a delay, so the page's
own polling has to carry the visitor to the result. tests/services/test_jobs_celery.py runs real workers.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from apps.core import jobs
from apps.core.tasks import run_job
from tests.images import astronaut, encode, flat_image

pytestmark = [pytest.mark.browser, pytest.mark.models, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
WORKER_DELAY_S = 2.0


@pytest.fixture
def slow_worker(settings, monkeypatch) -> list[threading.Timer]:
    settings.EMOPIC_JOBS = "celery"
    timers: list[threading.Timer] = []

    def send(job, countdown=None):
        timer = threading.Timer(WORKER_DELAY_S, run_job, args=[job.pk])
        timers.append(timer)
        timer.start()

    monkeypatch.setattr(jobs, "send", send)
    yield timers
    for timer in timers:
        timer.join(60)


def upload_to_idphoto(page, live_server, path: Path) -> None:
    page.goto(live_server.url + "/idphoto/")
    page.locator("[data-capture-file]").set_input_files(str(path))
    page.locator("[data-submit]").click()
    page.wait_for_url(re.compile(r"/jobs/[\w-]{20,}/$"))


def test_the_waiting_page_moves_on_to_the_result_by_itself(live_server, phone_page, slow_worker, tmp_path,
                                                           page_errors):  # fmt: skip
    photo = tmp_path / "me.jpg"
    photo.write_bytes(encode(astronaut(), "JPEG", quality=92))
    page = phone_page
    upload_to_idphoto(page, live_server, photo)
    assert page.get_by_role("heading", name=re.compile("Making your emotional ID photo")).is_visible()
    assert page.get_by_role("status").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "job-waiting-phone.png"), full_page=True)

    page.wait_for_url(re.compile(r"/idphoto/[\w-]{20,}/$"), timeout=60000)

    assert page.get_by_role("heading", name="Your emotional ID photo").is_visible()
    assert page_errors == []


def test_a_photo_that_fails_in_the_worker_is_explained_with_a_way_back(live_server, desktop_page, slow_worker,
                                                                       tmp_path, page_errors):  # fmt: skip
    photo = tmp_path / "wall.jpg"
    photo.write_bytes(encode(flat_image(400, 400), "JPEG"))
    page = desktop_page
    upload_to_idphoto(page, live_server, photo)

    page.get_by_role("heading", name="We couldn't make that").wait_for(timeout=60000)

    assert page.get_by_role("alert").inner_text().startswith("No face was found")
    page.screenshot(path=str(ARTIFACTS / "job-failed-desktop.png"), full_page=True)
    page.get_by_role("link", name="Try again").click()
    page.wait_for_url(live_server.url + "/idphoto/")
    assert page_errors == []

"""A client that hangs up while its photo waits for a generation slot costs no generation (under ASGI)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync
from django.core.handlers.asgi import ASGIHandler
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from apps.core import hangups, jobs
from apps.core.hangups import HangUpWatcher
from tests.images import astronaut, encode

pytestmark = pytest.mark.django_db(transaction=True)  # the request's own thread reads and writes the database


def _post_scope(path: str, body: bytes) -> dict:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", MULTIPART_CONTENT.encode()),
                    (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }  # fmt: skip


def _serve(body: bytes, hang_up_after: float | None, then: callable) -> list[dict]:
    """POST ``body`` to /api/idphoto/ through Django's ASGI handler; the client hangs up after
    ``hang_up_after`` seconds (None: it waits for the answer); ``then()`` runs after the hang-up."""

    async def run() -> list[dict]:
        incoming: asyncio.Queue = asyncio.Queue()
        await incoming.put({"type": "http.request", "body": body, "more_body": False})
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        app = HangUpWatcher(ASGIHandler())  # as emopic.asgi serves HTTP
        served = asyncio.create_task(app(_post_scope("/api/idphoto/", body), incoming.get, send))
        if hang_up_after is not None:
            await asyncio.sleep(hang_up_after)
            await incoming.put({"type": "http.disconnect"})
            await asyncio.sleep(0.2)
        then()
        await asyncio.wait_for(served, 60)
        return sent

    return async_to_sync(run)()


@pytest.fixture
def one_busy_slot(settings, monkeypatch) -> threading.BoundedSemaphore:
    settings.EMOPIC_GENERATION_WAIT_SECONDS = 30
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(jobs, "_slots", slots)
    slots.acquire()  # another request is generating
    return slots


@pytest.fixture
def generations(monkeypatch) -> list[str]:
    made: list[str] = []
    real = jobs._generators["idphoto"]

    def counted(image, owner, params):
        made.append(owner)
        return real(image, owner, params)

    monkeypatch.setitem(jobs._generators, "idphoto", counted)
    return made


def _photo_body() -> bytes:
    return encode_multipart(BOUNDARY, {"image": _Upload(encode(astronaut(), "JPEG", quality=90))})


class _Upload:
    """What encode_multipart takes for a file field."""

    def __init__(self, data: bytes) -> None:
        self.data, self.name = data, "photo.jpg"

    def read(self) -> bytes:
        return self.data


def test_a_client_that_hangs_up_while_waiting_for_a_slot_is_never_generated(one_busy_slot, generations):
    _serve(_photo_body(), hang_up_after=1.0, then=one_busy_slot.release)

    assert generations == []  # the slot came free after the hang-up, and was not spent on nobody
    assert one_busy_slot.acquire(blocking=False)  # nor kept


def test_a_client_that_stays_gets_its_photo_once_the_slot_is_free(one_busy_slot, generations):
    def free_the_slot_soon() -> None:
        threading.Timer(1.0, one_busy_slot.release).start()

    sent = _serve(_photo_body(), hang_up_after=None, then=free_the_slot_soon)

    assert sent[0]["status"] == 201 and len(generations) == 1


def test_outside_a_request_or_under_wsgi_no_one_has_hung_up():
    assert hangups.client_gone() is False

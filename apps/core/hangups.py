"""Whether the client of the request being served is still there, readable from a sync view's thread.

Under ASGI, Django notices a client's disconnect and cancels the request's task, but a sync view runs on
in its thread and cannot see that. ``HangUpWatcher`` wraps the ASGI application: it watches the messages
Django receives for ``http.disconnect`` and sets an event that ``client_gone()`` reads from the view's
thread (asgiref runs it in a copy of the request's context, the event included). So a generation still
waiting for its slot is never started for nobody. Under WSGI a hang-up is never seen: ``client_gone()``
stays False.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Awaitable, Callable
from typing import Any

_hung_up: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar("emopic_hung_up", default=None)

ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


def client_gone() -> bool:
    """True once the client of the request this code serves has disconnected."""
    event = _hung_up.get()
    return event is not None and event.is_set()


class HangUpWatcher:
    """ASGI middleware for HTTP: remembers, for ``client_gone()``, that the client disconnected."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hung_up = threading.Event()

        async def watched_receive() -> dict:
            message = await receive()
            if message["type"] == "http.disconnect":
                hung_up.set()
            return message

        token = _hung_up.set(hung_up)
        try:
            await self.app(scope, watched_receive, send)
        finally:
            _hung_up.reset(token)

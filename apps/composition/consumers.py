"""The coach's WebSocket: camera frames in, measures and guidance out, newest frame first.

Protocol (one socket per camera page, ``/ws/composition/?profile=<key>``, plus ``&mirrored=1`` when the page
shows the camera as a mirror, as it does a front camera's: the advice is then given as seen on it):
- client → server, binary: a 4-byte big-endian frame number, then the frame as JPEG (PNG and WebP
  also work), at most ``MAX_FRAME_BYTES``; text: ``{"type": "profile", "profile": "<key>"}``.
- server → client, JSON: ``{"type": "analysis", "seq", "people", "framing", "guidance", "in_tolerance",
  "hold_frames", "hold_needed", "ready", "target_box", "frame_size", "profile", "timings_ms"}`` for each
  analysed frame (``target_box``: where the profile wants the group, [x, y, w, h] in the frame's pixels,
  as the photo's overlay draws it);
  ``{"type": "dropped", "seq"}`` for a frame replaced by a newer one before it was analysed;
  ``{"type": "slow_down", "max_fps"}`` when frames come faster than ``MAX_FPS``;
  ``{"type": "error", "code", "message"}`` for a frame or message it cannot use.

The client sends its next frame when the answer to the last one arrives (one in flight), so a slow
network never builds up a queue. A client that sends more anyway is not queued either: only the
newest waiting frame is kept, older ones are answered "dropped", and answers go out in frame order.
Inference runs on a bounded thread pool, never on the event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from apps.core.imageio import ImageInputError

from .pipeline.types import Profile
from .services import analyse_live_frame, resolve_profile

logger = logging.getLogger(__name__)
MAX_FRAME_BYTES = 256 * 1024  # a 480 px JPEG is about 30 KB
MAX_FPS = 15.0  # the coach needs about 10; more only heats the server
HOLD_FRAMES = 4  # consecutive frames within tolerance before the coach takes the photo
INFERENCE_POOL = ThreadPoolExecutor(max_workers=settings.EMOPIC_INFERENCE_THREADS, thread_name_prefix="coach")


class CoachConsumer(AsyncWebsocketConsumer):
    # Nothing is ever sent to a coach socket from elsewhere: it answers its own frames. So it listens on no
    # channel layer; on Redis it would hold a blocking pop per socket, and a Redis outage would end it.
    channel_layer_alias = None

    async def connect(self) -> None:
        self.owner = self._session_key()
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.mirrored = query.get("mirrored", [""])[0] in ("1", "true")
        try:
            self.profile: Profile = await database_sync_to_async(resolve_profile)(query.get("profile", [""])[0],
                                                                               self.owner)  # fmt: skip
        except ImageInputError as error:
            await self.accept()
            await self._send({"type": "error", "code": error.code, "message": error.message})
            await self.close(code=4004)
            return
        self.pending: tuple[int, bytes] | None = None
        self.worker: asyncio.Task | None = None
        self.hold_frames = 0
        self.last_seq = -1
        self.window_started = time.monotonic()
        self.window_frames = 0
        self.warned_at = 0.0
        await self.accept()

    async def disconnect(self, code: int) -> None:
        worker = getattr(self, "worker", None)
        if worker is not None and not worker.done():
            worker.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None:
            await self._frame(bytes_data)
        elif text_data is not None:
            await self._control(text_data)

    async def _control(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if not isinstance(message, dict) or message.get("type") != "profile":
            await self._send({"type": "error", "code": "bad_message",
                              "message": 'Send frames as binary, or {"type": "profile", "profile": "<key>"}.'})  # fmt: skip
            return
        try:
            self.profile = await database_sync_to_async(resolve_profile)(str(message.get("profile", "")), self.owner)
        except ImageInputError as error:
            await self._send({"type": "error", "code": error.code, "message": error.message})
            return
        self.hold_frames = 0
        await self._send({"type": "profile", "profile": self.profile.key, "name": self.profile.name})

    async def _frame(self, data: bytes) -> None:
        if len(data) > MAX_FRAME_BYTES or len(data) < 5:
            error = {"type": "error", "code": "bad_frame",
                     "message": f"A frame is a 4-byte number then an image of at most {MAX_FRAME_BYTES} bytes."}  # fmt: skip
            if len(data) >= 4:
                error["seq"] = int.from_bytes(data[:4], "big")
            await self._send(error)
            return
        seq = int.from_bytes(data[:4], "big")
        if seq <= self.last_seq:
            await self._send({"type": "dropped", "seq": seq})  # an old frame arriving late: its moment has passed
            return
        self.last_seq = seq
        if self._flooding():
            await self._send({"type": "dropped", "seq": seq})
            return
        if self.worker is None or self.worker.done():
            self.worker = asyncio.create_task(self._work(seq, data[4:]))
            return
        if self.pending is not None:
            await self._send({"type": "dropped", "seq": self.pending[0]})
        self.pending = (seq, data[4:])

    def _flooding(self) -> bool:
        """Over MAX_FPS in the last second: drop the frame, and say so once a second."""
        now = time.monotonic()
        if now - self.window_started >= 1.0:
            self.window_started, self.window_frames = now, 0
        self.window_frames += 1
        return self.window_frames > MAX_FPS

    async def _work(self, seq: int, frame: bytes) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                result = await loop.run_in_executor(
                    INFERENCE_POOL, analyse_live_frame, frame, self.profile, self.mirrored
                )
            except ImageInputError as error:
                await self._send({"type": "error", "code": error.code, "message": error.message, "seq": seq})
            except Exception:  # a model failure must not kill the socket: say so, keep going
                logger.exception("Analysing a coach frame failed")
                await self._send({"type": "error", "code": "analysis_failed", "seq": seq,
                                  "message": "This frame could not be analysed; the next one will be tried."})  # fmt: skip
            else:
                self.hold_frames = self.hold_frames + 1 if result["in_tolerance"] else 0
                await self._send({"type": "analysis", "seq": seq, **result, "hold_frames": self.hold_frames,
                                  "hold_needed": HOLD_FRAMES, "ready": self.hold_frames >= HOLD_FRAMES})  # fmt: skip
            if self.pending is None:
                return
            seq, frame = self.pending
            self.pending = None

    async def _send(self, message: dict) -> None:
        if message.get("type") == "dropped" and time.monotonic() - self.warned_at >= 1.0 and self._over_rate():
            self.warned_at = time.monotonic()
            await self.send(text_data=json.dumps({"type": "slow_down", "max_fps": MAX_FPS}))
        await self.send(text_data=json.dumps(message))

    def _over_rate(self) -> bool:
        return self.window_frames > MAX_FPS

    def _session_key(self) -> str:
        session = self.scope.get("session")
        return (session.session_key or "") if session is not None else ""

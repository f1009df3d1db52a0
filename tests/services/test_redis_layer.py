"""The live coach's socket with the Redis channel layer configured: it answers real frames without listening
on Redis, so Redis going away leaves open and new coach sockets answering, and the server up."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from emopic.settings import redis_channel_layers
from tests.images import REPO, encode, opencv_sample

from .conftest import PrivateRedis, free_port

pytestmark = pytest.mark.models
ORIGIN = "http://127.0.0.1"
IDLE_S = 7
FIRST_ANSWER_S = 90  # the first frame loads the pose models (seconds on a busy 2-core machine)


def frame(seq: int, jpeg: bytes) -> bytes:
    return seq.to_bytes(4, "big") + jpeg


def blocking_pops(url: str) -> int:
    """How many BZPOPMIN (a channel layer's receive) the Redis server has answered so far."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        return int(client.info("commandstats").get("cmdstat_bzpopmin", {}).get("calls", 0))
    finally:
        client.close()


@pytest.fixture(scope="module")
def standing_jpeg() -> bytes:
    rgb = opencv_sample("basketball1.png")  # a man standing, head to feet
    return encode(rgb[::2, ::2].copy(), "JPEG", quality=80)  # 320x240, as the page sends


def test_an_idle_coach_socket_stays_open_and_answers_a_real_frame_without_listening_on_redis(
    redis_url, settings, standing_jpeg
):
    from channels_redis.core import RedisChannelLayer

    from emopic.asgi import application

    settings.CHANNEL_LAYERS = redis_channel_layers(redis_url)
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    pops_before = blocking_pops(redis_url)

    async def run() -> dict:
        communicator = WebsocketCommunicator(application, "/ws/composition/", headers=[(b"origin", ORIGIN.encode())])
        connected, _ = await communicator.connect()
        assert connected
        # Longer than a layer's 5 s blocking receive on Redis: an idle socket outlives an empty wait.
        assert await communicator.receive_nothing(timeout=IDLE_S)
        await communicator.send_to(bytes_data=frame(1, standing_jpeg))
        answer = json.loads(await communicator.receive_from(timeout=FIRST_ANSWER_S))
        await communicator.disconnect()
        await layer.close_pools()
        return answer

    answer = async_to_sync(run)()

    assert answer["type"] == "analysis" and answer["seq"] == 1, answer
    assert len(answer["people"]) == 1 and answer["guidance"][0]["text"]
    assert blocking_pops(redis_url) == pops_before  # no socket waited on a Redis channel


@dataclass
class CoachServer:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def socket_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/composition/"

    def answers_http(self) -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/openapi.json", timeout=10) as response:
            return response.status == 200


@pytest.fixture
def coach_server(private_redis: PrivateRedis, tmp_path) -> Iterator[CoachServer]:
    """Daphne serving the project on loopback, its channel layer on ``private_redis``; no database needed
    (a built-in look and no session)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EMOPIC_POSTGRES_", "EMOPIC_S3_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "emopic.settings",
        "EMOPIC_DEBUG": "True",
        "EMOPIC_REDIS_URL": private_redis.url,
        "EMOPIC_SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "EMOPIC_MEDIA_ROOT": str(tmp_path / "media"),
        "EMOPIC_INFERENCE_THREADS": "1",
    }
    port = free_port()
    log = tmp_path / "daphne.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "emopic.asgi:application"],
            cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = CoachServer(process=process, port=port, log=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if server.answers_http():
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("daphne did not start:\n" + log.read_text()[-3000:])
            time.sleep(0.25)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def frame_outcome(ws, seq: int, jpeg: bytes, timeout: float) -> str | int | None:
    """Send frame ``seq``: the type of its answer ("analysis"...), or the code the socket was closed with."""
    import websockets

    try:
        await ws.send(frame(seq, jpeg))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
            if message.get("seq") == seq:
                return message["type"]
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def new_socket_outcome(url: str, jpeg: bytes, timeout: float) -> str | int | None:
    import websockets

    async with websockets.connect(url, origin=ORIGIN, max_size=2**20, open_timeout=15) as ws:
        return await frame_outcome(ws, 1, jpeg, timeout)


def test_redis_going_away_leaves_the_coach_answering_on_open_and_new_sockets(
    coach_server, private_redis, standing_jpeg
):
    import websockets

    async def while_redis_goes_away() -> tuple[str | int | None, ...]:
        async with websockets.connect(coach_server.socket_url, origin=ORIGIN, max_size=2**20) as ws:
            before = await frame_outcome(ws, 1, standing_jpeg, FIRST_ANSWER_S)
            await asyncio.to_thread(private_redis.stop)
            during = await frame_outcome(ws, 2, standing_jpeg, 15)
        opened_during = await new_socket_outcome(coach_server.socket_url, standing_jpeg, 15)
        return before, during, opened_during

    before, during, opened_during = async_to_sync(while_redis_goes_away)()

    assert before == "analysis"
    # The coach listens on no channel layer, so Redis is nothing to it: the open socket and a new one both
    # go on answering. (Were it to close them, it would be with 1011, on which static/js/composition.js
    # says "Connection to the coach lost" and reconnects; a timeout here would mean silence.)
    log = coach_server.log.read_text()[-3000:]
    assert during == "analysis", (during, log)
    assert opened_during == "analysis", (opened_during, log)
    assert coach_server.process.poll() is None and coach_server.answers_http()  # the server lives on

    private_redis.start()
    again = async_to_sync(new_socket_outcome)(coach_server.socket_url, standing_jpeg, 30)

    assert again == "analysis"

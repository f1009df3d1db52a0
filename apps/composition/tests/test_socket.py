"""The coach's WebSocket, through the project's ASGI application: real frames in, measures out, in order."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from apps.composition import consumers
from apps.composition.analysis import analyse_frame
from apps.composition.pipeline.overlay import target_box
from apps.composition.pipeline.profiles import BUILT_IN_PROFILES
from apps.core.imageio import decode_image_bytes
from apps.core.intake import intake_limits
from tests.images import encode, opencv_sample

pytestmark = [pytest.mark.models, pytest.mark.django_db(transaction=True)]
ORIGIN = (b"origin", b"http://localhost")


def application():
    from emopic.asgi import application

    return application


def frame(seq: int, jpeg: bytes) -> bytes:
    return seq.to_bytes(4, "big") + jpeg


@pytest.fixture(scope="module")
def standing_jpeg() -> bytes:
    rgb = opencv_sample("basketball1.png")  # a man standing, head to feet
    return encode(rgb[::2, ::2].copy(), "JPEG", quality=80)  # 320x240, as the page sends


async def connect(path: str = "/ws/composition/", headers=(ORIGIN,)) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application(), path, headers=list(headers))
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def answers(communicator: WebsocketCommunicator, count: int) -> list[dict]:
    return [json.loads(await communicator.receive_from(timeout=20)) for _ in range(count)]


def test_frames_sent_one_at_a_time_get_measures_in_order(standing_jpeg):
    async def run() -> list[dict]:
        communicator = await connect()
        received = []
        for seq in (1, 2, 3):
            await communicator.send_to(bytes_data=frame(seq, standing_jpeg))
            received += await answers(communicator, 1)
        await communicator.disconnect()
        return received

    received = async_to_sync(run)()

    assert [m["type"] for m in received] == ["analysis"] * 3
    assert [m["seq"] for m in received] == [1, 2, 3]
    person = received[0]["people"][0]
    assert person["feet_y"] > person["chin_y"] > person["head_top_y"]
    assert received[0]["guidance"] and received[0]["guidance"][0]["text"]
    assert received[0]["frame_size"] == [320, 240]


def test_a_client_that_sends_faster_gets_only_its_newest_frames_answered_in_order(standing_jpeg):
    async def run() -> list[dict]:
        communicator = await connect()
        for seq in range(1, 7):  # six frames at once: no waiting for answers
            await communicator.send_to(bytes_data=frame(seq, standing_jpeg))
        received = []
        while not any(m.get("seq") == 6 and m["type"] == "analysis" for m in received):
            received += await answers(communicator, 1)
        await communicator.disconnect()
        return received

    received = async_to_sync(run)()

    analysed = [m["seq"] for m in received if m["type"] == "analysis"]
    dropped = [m["seq"] for m in received if m["type"] == "dropped"]
    assert analysed == sorted(analysed) and analysed[0] == 1 and analysed[-1] == 6
    assert sorted(analysed + dropped) == [1, 2, 3, 4, 5, 6]  # every frame answered once, none queued up stale
    assert len(analysed) < 6


def test_a_flood_beyond_the_frame_rate_is_slowed_down(standing_jpeg, monkeypatch):
    monkeypatch.setattr(consumers, "MAX_FPS", 3.0)

    async def run() -> list[dict]:
        communicator = await connect()
        for seq in range(1, 11):
            await communicator.send_to(bytes_data=frame(seq, standing_jpeg))
        received = []
        while not any(m.get("seq") == 10 for m in received):
            received += await answers(communicator, 1)
        await asyncio.sleep(0.2)
        await communicator.disconnect()
        return received

    received = async_to_sync(run)()

    assert any(m["type"] == "slow_down" for m in received)
    assert len([m for m in received if m["type"] == "analysis"]) <= 3


def test_bad_frames_get_an_error_and_the_socket_keeps_working(standing_jpeg):
    async def run() -> list[dict]:
        communicator = await connect()
        await communicator.send_to(bytes_data=frame(1, b"this is not an image"))
        first = await answers(communicator, 1)
        await communicator.send_to(bytes_data=frame(2, b"x" * (consumers.MAX_FRAME_BYTES + 10)))
        second = await answers(communicator, 1)
        await communicator.send_to(text_data="hello")
        third = await answers(communicator, 1)
        await communicator.send_to(bytes_data=frame(3, standing_jpeg))
        fourth = await answers(communicator, 1)
        await communicator.disconnect()
        return first + second + third + fourth

    unreadable, too_big, bad_text, good = async_to_sync(run)()

    assert unreadable["type"] == "error" and unreadable["seq"] == 1
    assert too_big["type"] == "error" and too_big["code"] == "bad_frame"
    assert bad_text["type"] == "error" and bad_text["code"] == "bad_message"
    assert good["type"] == "analysis" and good["seq"] == 3


def test_the_profile_can_be_switched_and_an_unknown_one_is_refused(standing_jpeg):
    async def run() -> list[dict]:
        communicator = await connect()
        await communicator.send_to(text_data=json.dumps({"type": "profile", "profile": "three-quarter"}))
        switched = await answers(communicator, 1)
        await communicator.send_to(text_data=json.dumps({"type": "profile", "profile": "mine-999"}))
        refused = await answers(communicator, 1)
        await communicator.send_to(bytes_data=frame(1, standing_jpeg))
        analysed = await answers(communicator, 1)
        await communicator.disconnect()
        return switched + refused + analysed

    switched, refused, analysed = async_to_sync(run)()

    assert switched == {"type": "profile", "profile": "three-quarter", "name": switched["name"]}
    assert refused["code"] == "unknown_profile"
    assert analysed["profile"] == "three-quarter"


def test_an_unknown_profile_at_connect_is_explained_then_closed():
    async def run() -> tuple[dict, dict]:
        communicator = await connect("/ws/composition/?profile=nope")
        message = json.loads(await communicator.receive_from(timeout=10))
        closed = await communicator.receive_output(timeout=10)
        return message, closed

    message, closed = async_to_sync(run)()

    assert message["code"] == "unknown_profile"
    assert closed["type"] == "websocket.close" and closed["code"] == 4004


def test_a_socket_from_another_site_is_refused():
    async def run() -> bool:
        communicator = WebsocketCommunicator(application(), "/ws/composition/",
                                             headers=[(b"origin", b"https://evil.example")])  # fmt: skip
        connected, _ = await communicator.connect()
        return connected

    assert async_to_sync(run)() is False


@pytest.fixture(scope="module")
def off_centre_jpeg() -> bytes:
    """The standing man with grey room to his right: he stands left of a centred look's target."""
    rgb = opencv_sample("basketball1.png")[::2, ::2]
    room = np.full((rgb.shape[0], rgb.shape[1] // 2, 3), 128, np.uint8)
    return encode(np.ascontiguousarray(np.hstack([rgb, room])), "JPEG", quality=80)


MIRROR = {"left": "right", "right": "left", "rotate_left": "rotate_right", "rotate_right": "rotate_left"}


def test_the_answer_says_how_many_frames_must_hold_and_where_the_target_box_is(standing_jpeg):
    async def run() -> dict:
        communicator = await connect("/ws/composition/?profile=centred-full-body")
        await communicator.send_to(bytes_data=frame(1, standing_jpeg))
        [message] = await answers(communicator, 1)
        await communicator.disconnect()
        return message

    message = async_to_sync(run)()

    assert message["hold_needed"] == consumers.HOLD_FRAMES
    rgb = decode_image_bytes(standing_jpeg, intake_limits()).rgb
    analysis = analyse_frame(rgb, BUILT_IN_PROFILES["centred-full-body"])
    assert message["target_box"] == list(target_box(analysis, BUILT_IN_PROFILES["centred-full-body"]))


def test_a_mirrored_preview_gets_its_left_and_right_advice_as_seen_on_it(off_centre_jpeg):
    async def run(path: str) -> dict:
        communicator = await connect(path)
        await communicator.send_to(bytes_data=frame(1, off_centre_jpeg))
        [message] = await answers(communicator, 1)
        await communicator.disconnect()
        return message

    plain = async_to_sync(run)("/ws/composition/?profile=centred-full-body")
    mirrored = async_to_sync(run)("/ws/composition/?profile=centred-full-body&mirrored=1")

    sideways = [item for item in plain["guidance"] if item["arrow"] in MIRROR]
    assert sideways and sideways[0]["code"] == "move_left"  # the frame was made to need a pan
    assert [
        (item["code"], MIRROR.get(item["arrow"], item["arrow"]))
        for item in plain["guidance"]
        if item["code"] != "move_left"
    ] == [(item["code"], item["arrow"]) for item in mirrored["guidance"] if item["code"] != "move_right"]
    assert ("move_right", "Move the phone right", "right") in [
        (item["code"], item["text"].removesuffix(" a little"), item["arrow"]) for item in mirrored["guidance"]
    ]
    assert mirrored["framing"] == plain["framing"] and mirrored["target_box"] == plain["target_box"]

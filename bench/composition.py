"""composition: server time per live frame at 320 px, sustained frames per second with 1, 4 and 8
concurrent WebSocket clients against a real daphne server on loopback (each client sends its next
frame when the answer to the last arrives, as the page does), and, in the same run, a BodyPix-sized
MobileNet segmentation network (random weights) timed per frame for comparison.

    .venv/bin/python bench/composition.py [--seconds 20] [--clients 1,4,8]

Not a test: speed is measured here and recorded in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
from common import REPO, p, report, setup, use_test_database


def frame_320() -> bytes:
    """The frame the page sends: a full-body photo at 320 px, JPEG quality 0.7."""
    import cv2

    from apps.core.imageio import encode_jpeg
    from tests.images import OPENCV_SAMPLES

    path = OPENCV_SAMPLES / "basketball1.png"
    if path.exists():
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    else:
        from skimage import data

        print(f"({path} is absent, run `make testdata`: using scikit-image's astronaut)")
        rgb = data.astronaut()
    h, w = rgb.shape[:2]
    scale = 320 / max(h, w)
    small = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return encode_jpeg(small, quality=70)


def bench_frame(jpeg: bytes, repeats: int) -> list[float]:
    from apps.composition.pipeline.profiles import BUILT_IN_PROFILES, DEFAULT_PROFILE
    from apps.composition.services import analyse_live_frame

    profile = BUILT_IN_PROFILES[DEFAULT_PROFILE]
    times = []
    for i in range(repeats + 3):
        started = time.perf_counter()
        analyse_live_frame(jpeg, profile)
        if i >= 3:
            times.append((time.perf_counter() - started) * 1000)
    report("Server time per frame at 320 px (decode, people, pose, segmentation, measures, guidance)",
           {"frame": times})  # fmt: skip
    return times


def bench_photo_request(repeats: int) -> list[float]:
    """POST /api/composition/ with one 1-megapixel photo: analysis, overlay, two files and the row stored."""
    import cv2
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from apps.core.imageio import decode_image_bytes, encode_jpeg
    from apps.core.intake import intake_limits

    use_test_database()
    rgb = decode_image_bytes(frame_320(), intake_limits()).rgb
    h, w = rgb.shape[:2]
    scale = (1e6 / (h * w)) ** 0.5
    jpeg = encode_jpeg(cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC), 90)
    client, times = Client(), []
    for i in range(repeats + 2):
        started = time.perf_counter()
        response = client.post("/api/composition/", {"image": SimpleUploadedFile("p.jpg", jpeg, "image/jpeg")})
        assert response.status_code == 201, response.content[:300]
        if i >= 2:
            times.append((time.perf_counter() - started) * 1000)
    report("Whole request, POST /api/composition/ with a 1 MP photo", {"request": times})
    return times


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_daphne(port: int) -> subprocess.Popen:
    env = {**os.environ, "EMOPIC_WARMUP_MODELS": "True", "EMOPIC_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "emopic.asgi:application"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("daphne did not start")


async def one_client(url: str, jpeg: bytes, seconds: float, pace_ms: float) -> tuple[int, list[float]]:
    """As the page does: the next frame when the last is answered, and not sooner than ``pace_ms`` after it."""
    import websockets

    answered, latencies = 0, []
    async with websockets.connect(url, origin="http://127.0.0.1", max_size=2**20) as ws:
        seq = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            seq += 1
            sent = time.perf_counter()
            next_send = sent + pace_ms / 1000
            await ws.send(seq.to_bytes(4, "big") + jpeg)
            while True:
                message = json.loads(await ws.recv())
                if message.get("seq") == seq:
                    break
            if message["type"] == "analysis":
                answered += 1
                latencies.append((time.perf_counter() - sent) * 1000)
            await asyncio.sleep(max(0.0, next_send - time.perf_counter()))
    return answered, latencies


async def clients(url: str, jpeg: bytes, count: int, seconds: float, pace_ms: float) -> tuple[float, list[float]]:
    results = await asyncio.gather(*(one_client(url, jpeg, seconds, pace_ms) for _ in range(count)))
    per_client_fps = [answered / seconds for answered, _ in results]
    latencies = [latency for _, client_latencies in results for latency in client_latencies]
    return float(np.mean(per_client_fps)), latencies


def bench_sockets(
    jpeg: bytes, counts: list[int], seconds: float, pace_ms: float
) -> dict[int, tuple[float, list[float]]]:
    port = free_port()
    process = start_daphne(port)
    url = f"ws://127.0.0.1:{port}/ws/composition/"
    try:
        asyncio.run(clients(url, jpeg, 1, 8, pace_ms))  # warm-up: models load in the server process
        results = {}
        for count in counts:
            fps, latencies = asyncio.run(clients(url, jpeg, count, seconds, pace_ms))
            results[count] = (fps, latencies)
            print(f"  {count} client(s): {fps:5.1f} frames/s each, {fps * count:5.1f} in all; "
                  f"round trip p50 {p(latencies, 50):6.1f} ms, p95 {p(latencies, 95):6.1f} ms")  # fmt: skip
        return results
    finally:
        process.terminate()
        process.wait(timeout=10)


def bodypix_sized_network():
    """BodyPix's MobileNetV1 (multiplier 0.75, output stride 16) with its person and 24-part heads."""
    import keras

    backbone = keras.applications.MobileNet(input_shape=(320, 320, 3), alpha=0.75, include_top=False, weights=None)
    features = backbone.get_layer("conv_pw_11_relu").output  # stride 16
    segments = keras.layers.Conv2D(1, 1, activation="sigmoid", name="segments")(features)
    parts = keras.layers.Conv2D(24, 1, activation="sigmoid", name="parts")(features)
    heatmaps = keras.layers.Conv2D(17, 1, activation="sigmoid", name="heatmaps")(features)
    offsets = keras.layers.Conv2D(34, 1, name="offsets")(features)
    return keras.Model(backbone.input, [segments, parts, heatmaps, offsets], name="bodypix_sized")


def bench_bodypix(repeats: int) -> list[float]:
    model = bodypix_sized_network()
    x = np.random.default_rng(0).random((1, 320, 320, 3), np.float32)
    times = []
    for i in range(repeats + 3):
        started = time.perf_counter()
        model(x, training=False)
        if i >= 3:
            times.append((time.perf_counter() - started) * 1000)
    report(f"BodyPix-sized MobileNet (0.75, stride 16), {model.count_params():,} parameters, one 320 px frame",
           {"bodypix_sized": times})  # fmt: skip
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", default="1,4,8")
    parser.add_argument("--pace-ms", type=float, default=100.0, help="the page's least gap between frames (0: none)")
    args = parser.parse_args()

    setup()
    jpeg = frame_320()
    frame = bench_frame(jpeg, args.repeats)
    bench_photo_request(20)
    print(
        f"\nSustained, real daphne on loopback, {args.seconds:.0f} s per run, frames at least {args.pace_ms:.0f} ms apart:"
    )
    sockets = bench_sockets(jpeg, [int(c) for c in args.clients.split(",")], args.seconds, args.pace_ms)
    bodypix = bench_bodypix(args.repeats)
    print("\nRatios (source system / emopic, same machine, same run; > 1 means emopic is faster):")
    print(f"  BodyPix-sized network alone vs our whole frame p50: {p(bodypix, 50) / p(frame, 50):.2f}x")
    if 4 in sockets:
        fps, latencies = sockets[4]
        print(f"  4 clients: {fps:.1f} frames/s each (target >= 10), round trip p95 {p(latencies, 95):.0f} ms "
              "(target <= 60)")  # fmt: skip


if __name__ == "__main__":
    main()

"""emoticon latency: per stage on a 1-megapixel photo, the whole HTTP request, and, in the same run,
the source system's networks on the same machine (six 128x128 three-conv attribute classifiers, one
forward each, and a res10-SSD-sized face detector at 300x300; random weights), printed as ratios.

    .venv/bin/python bench/emoticon.py [--repeats 20]

Not a test: speed is measured here and recorded in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emopic.settings")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def p(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def portrait_1mp() -> np.ndarray:
    import cv2
    from skimage import data

    photo = REPO.parent / "shared" / "data" / "faces" / "face_recognition" / "examples" / "obama-1080p.jpg"
    rgb = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)[:, 280:1640] if photo.exists() else data.astronaut()
    h, w = rgb.shape[:2]
    scale = (1e6 / (h * w)) ** 0.5
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=interpolation))


def bench_stages(rgb: np.ndarray, repeats: int) -> dict[str, list[float]]:
    from apps.core.imageio import decode_image_bytes, encode_jpeg
    from apps.core.intake import intake_limits
    from apps.core.timing import Timer
    from apps.emoticon import ml
    from apps.emoticon.pipeline.attributes import face_shape
    from apps.emoticon.pipeline.emotion import aligned_face
    from apps.emoticon.pipeline.render import render_png, render_svg
    from apps.emoticon.pipeline.types import EmoticonSpec
    from apps.emoticon.services import read_attributes, read_face

    jpeg = encode_jpeg(rgb, quality=90)
    stages: dict[str, list[float]] = {}
    for i in range(repeats + 2):
        timer = Timer()
        with timer.stage("decode"):
            image = decode_image_bytes(jpeg, intake_limits()).rgb
        reading = read_face(image, timer)
        with timer.stage("emotion"):
            emotion, _ = ml.classify_emotion(aligned_face(image, reading.landmarks))
        with timer.stage("attributes"):
            attributes = read_attributes(image, reading.landmarks)
            shape = face_shape(reading.landmarks)
        with timer.stage("render"):
            spec = EmoticonSpec(emotion.label, attributes.mask, attributes.glasses, attributes.frame_shape,
                                attributes.skin_hex, attributes.hair_hex, shape)  # fmt: skip
            render_png(render_svg(spec))
        with timer.stage("encode_input"):
            encode_jpeg(image, quality=90)
        if i >= 2:
            timer.ms["pipeline"] = sum(timer.ms.values())
            for key, value in timer.ms.items():
                stages.setdefault(key, []).append(value)
    print(f"\nStages at 1 MP ({rgb.shape[1]}x{rgb.shape[0]}), {repeats} runs")
    for key, values in stages.items():
        print(f"  {key:16s} p50 {p(values, 50):7.1f} ms   p95 {p(values, 95):7.1f} ms")
    return stages


def bench_request(rgb: np.ndarray, repeats: int) -> list[float]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from apps.core.imageio import encode_jpeg

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    jpeg = encode_jpeg(rgb, quality=90)
    client = Client()
    times = []
    for i in range(repeats + 2):
        started = time.perf_counter()
        response = client.post("/api/emoticon/", {"image": SimpleUploadedFile("me.jpg", jpeg, "image/jpeg")})
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 201, response.content[:300]
        if i >= 2:
            times.append(elapsed)
    print(f"\nWhole request, POST /api/emoticon/ at 1 MP: p50 {p(times, 50):.1f} ms, p95 {p(times, 95):.1f} ms")
    return times


def source_attribute_classifier():
    """The source's per-attribute CNN: 128x128 colour, three conv + pool layers, dense head."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((128, 128, 3)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(128, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(2, activation="softmax"),
        ]
    )


def res10_ssd(size: int = 300):
    """A detector the size of OpenCV's res10_300x300 SSD: a ResNet-10 backbone with SSD heads."""
    import keras
    from keras import layers

    def block(x, filters, stride):
        shortcut = x
        x = layers.Conv2D(filters, 3, stride, padding="same", activation="relu")(x)
        x = layers.Conv2D(filters, 3, padding="same")(x)
        if stride != 1 or shortcut.shape[-1] != filters:
            shortcut = layers.Conv2D(filters, 1, stride)(shortcut)
        return layers.ReLU()(layers.Add()([x, shortcut]))

    inputs = keras.Input((size, size, 3))
    x = layers.Conv2D(32, 7, 2, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D(3, 2, padding="same")(x)
    heads = []
    for filters, stride in ((32, 1), (128, 2), (256, 2), (256, 2)):
        x = block(x, filters, stride)
        heads.append(x)
    for filters in (128, 128):
        x = layers.Conv2D(filters, 3, 2, padding="same", activation="relu")(x)
        heads.append(x)
    outputs = [layers.Conv2D(4 * 6, 3, padding="same")(h) for h in heads[1:]]
    outputs += [layers.Conv2D(2 * 6, 3, padding="same")(h) for h in heads[1:]]
    return keras.Model(inputs, outputs, name="res10_ssd")


def bench_source(repeats: int) -> dict[str, list[float]]:
    classifiers = [source_attribute_classifier() for _ in range(6)]
    detector = res10_ssd()
    x128 = np.random.default_rng(0).random((1, 128, 128, 3), np.float32)
    x300 = np.random.default_rng(0).random((1, 300, 300, 3), np.float32)
    out: dict[str, list[float]] = {"six_attribute_cnns_128": [], "res10_ssd_300": []}
    for i in range(repeats + 2):
        started = time.perf_counter()
        for model in classifiers:
            model(x128, training=False)
        middle = time.perf_counter()
        detector(x300, training=False)
        end = time.perf_counter()
        if i >= 2:
            out["six_attribute_cnns_128"].append((middle - started) * 1000)
            out["res10_ssd_300"].append((end - middle) * 1000)
    print("\nSource system's networks (random weights), one image:")
    for key, values in out.items():
        print(f"  {key:24s} p50 {p(values, 50):7.1f} ms   p95 {p(values, 95):7.1f} ms")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    import django

    django.setup()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    rgb = portrait_1mp()
    stages = bench_stages(rgb, args.repeats)
    request = bench_request(rgb, args.repeats)
    source = bench_source(args.repeats)
    ours_detect = p(stages["detect"], 50) + p(stages["landmarks"], 50)
    ours_attributes = p(stages["attributes"], 50)
    print("\nRatios (source system / emopic, same machine, same run; > 1 means emopic is faster):")
    print(f"  face: res10 SSD at 300 vs BlazeFace + face mesh: {p(source['res10_ssd_300'], 50) / ours_detect:.2f}x")
    print(f"  attributes: six 128-px CNNs vs landmark + pixel measurement: "
          f"{p(source['six_attribute_cnns_128'], 50) / ours_attributes:.2f}x")  # fmt: skip
    print(f"  whole request at 1 MP p50: {p(request, 50):.0f} ms (target 150 ms)")


if __name__ == "__main__":
    main()

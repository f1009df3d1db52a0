"""idphoto latency: per stage at 0.5, 1 and 4 megapixels, the whole HTTP request at 1 MP,
and the source system's architecture (EfficientNet-B0 at 224 + a ResNet-34 matting network at 512,
random weights) on the same machine in the same run, printed as ratios.

    .venv/bin/python bench/idphoto.py [--repeats 15] [--skip-source]

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


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def portrait(megapixels: float) -> np.ndarray:
    import cv2

    photo = REPO.parent / "shared" / "data" / "faces" / "face_recognition" / "examples" / "obama-1080p.jpg"
    if photo.exists():
        rgb = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
        rgb = rgb[:, 280:1640]  # portrait-like 4:3 crop around the person
    else:
        from skimage import data

        rgb = data.astronaut()
    h, w = rgb.shape[:2]
    scale = (megapixels * 1e6 / (h * w)) ** 0.5
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=interp))


def bench_stages(repeats: int) -> dict[float, dict[str, list[float]]]:
    from apps.core.imageio import decode_image_bytes, encode_jpeg, encode_png
    from apps.core.intake import intake_limits
    from apps.core.timing import Timer
    from apps.idphoto.pipeline.matting import composite, cutout_rgba
    from apps.idphoto.services import background_candidates, matte_photo

    results: dict[float, dict[str, list[float]]] = {}
    for mp in (0.5, 1.0, 4.0):
        rgb = portrait(mp)
        jpeg = encode_jpeg(rgb, quality=90)
        stages: dict[str, list[float]] = {}
        for i in range(repeats + 2):
            timer = Timer()
            with timer.stage("decode"):
                decoded = decode_image_bytes(jpeg, intake_limits()).rgb
            photo = matte_photo(decoded, timer)
            candidates = background_candidates(decoded, photo, timer).candidates
            with timer.stage("encode"):
                out = composite(photo.matte.foreground, photo.matte.alpha, candidates[0].rgb)
                encode_jpeg(out)
                encode_png(cutout_rgba(photo.matte.foreground, photo.matte.alpha))
            if i >= 2:  # the first runs pay for JIT compilation and model warm-up
                timer.ms["pipeline"] = sum(timer.ms.values())
                for key, value in timer.ms.items():
                    stages.setdefault(key, []).append(value)
        results[mp] = stages
        print(f"\n{mp} MP ({rgb.shape[1]}x{rgb.shape[0]}), {repeats} runs")
        for key, values in stages.items():
            print(f"  {key:22s} p50 {percentile(values, 50):7.1f} ms   p95 {percentile(values, 95):7.1f} ms")
    return results


def bench_request(repeats: int) -> list[float]:
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from apps.core.imageio import encode_jpeg

    setup_test_environment()
    from django.db import connection

    connection.creation.create_test_db(verbosity=0)
    call_command("migrate", verbosity=0)
    jpeg = encode_jpeg(portrait(1.0), quality=90)
    client = Client()
    times = []
    from django.core.files.uploadedfile import SimpleUploadedFile

    for i in range(repeats + 2):
        started = time.perf_counter()
        response = client.post("/api/idphoto/", {"image": SimpleUploadedFile("me.jpg", jpeg, "image/jpeg")})
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 201, response.content[:300]
        if i >= 2:
            times.append(elapsed)
    print(f"\nWhole request, POST /api/idphoto/ at 1 MP: p50 {percentile(times, 50):.1f} ms, "
          f"p95 {percentile(times, 95):.1f} ms")  # fmt: skip
    return times


def bench_matting_alternatives(repeats: int) -> None:
    """The choices inside matting, measured: time at 1 MP on the real portrait, and error
    against a known matte on a synthetic scene (a soft-edged disc on a textured background)."""
    import cv2

    from apps.core.face_models import face_landmarks
    from apps.core.imaging import resize_rgb, working_size
    from apps.idphoto.pipeline import matting
    from apps.idphoto.pipeline.faces import face_geometry
    from apps.idphoto.services import segment_around_face

    rgb = portrait(1.0)
    h, w = working_size(*rgb.shape[:2], matting.WORKING_SIDE)
    small = resize_rgb(rgb, h, w)
    coarse = segment_around_face(small, face_geometry(face_landmarks(small)[0]))
    alpha = matting.refine_matte(rgb, coarse).alpha

    size = 512
    yy, xx = np.mgrid[:size, :size]
    true_alpha = np.clip(150.5 - np.hypot(yy - 256, xx - 256), 0, 1).astype(np.float32)
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.integers(0, 255, (size, size, 3)).astype(np.uint8), (0, 0), 3)
    person = np.array([200, 150, 120], np.float32)
    scene = (true_alpha[..., None] * person + (1 - true_alpha[..., None]) * texture).astype(np.uint8)
    blurry = cv2.resize(cv2.resize(true_alpha, (64, 64), interpolation=cv2.INTER_AREA), (size, size))
    edge = (true_alpha > 0.01) & (true_alpha < 0.99) | (np.abs(blurry - true_alpha) > 0.05)

    def timed(fn) -> float:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        return percentile(times, 50)

    print("\nMatting alternatives (time at 1 MP; alpha / foreground error on the synthetic scene's edge):")
    for name, refine in (
        ("closed-form + guided upsampling (chosen)", matting.refine_matte),
        ("guided filter only", matting.refine_matte_guided),
    ):
        ms = timed(lambda refine=refine: refine(rgb, coarse))
        err = np.abs(refine(scene, blurry).alpha - true_alpha)[edge].mean()
        print(f"  {name:42s} {ms:7.1f} ms   alpha MAE {err:.3f}")
    print(
        f"  {'coarse mask, upsampled (no refinement)':42s} {'':7s}      alpha MAE "
        f"{np.abs(blurry - true_alpha)[edge].mean():.3f}"
    )
    soft = (true_alpha > 0.05) & (true_alpha < 0.95)
    for name, estimate in (
        ("blur-fusion foreground (chosen)", matting.estimate_foreground),
        ("pymatting multi-level foreground", matting.estimate_foreground_multilevel),
    ):
        ms = timed(lambda estimate=estimate: estimate(rgb, alpha))
        fg_err = np.abs(estimate(scene, true_alpha)[soft].astype(np.float32) - person).mean()
        print(f"  {name:42s} {ms:7.1f} ms   foreground MAE {fg_err:.1f} (of 255)")
    print(
        f"  {'no foreground estimation':42s} {'':7s}      foreground MAE "
        f"{np.abs(scene[soft].astype(np.float32) - person).mean():.1f} (of 255)"
    )


def resnet34_matting(size: int = 512):
    """A P3M-Net-sized network: ResNet-34 encoder, a light U-Net decoder, one alpha channel."""
    import keras
    from keras import layers

    def block(x, filters, stride):
        shortcut = x
        x = layers.Conv2D(filters, 3, stride, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        if stride != 1 or shortcut.shape[-1] != filters:
            shortcut = layers.Conv2D(filters, 1, stride, use_bias=False)(shortcut)
            shortcut = layers.BatchNormalization()(shortcut)
        return layers.ReLU()(layers.Add()([x, shortcut]))

    inputs = keras.Input((size, size, 3))
    x = layers.Conv2D(64, 7, 2, padding="same", use_bias=False)(inputs)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.MaxPooling2D(3, 2, padding="same")(x)
    skips = []
    for filters, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(blocks):
            x = block(x, filters, stride if i == 0 else 1)
        skips.append(x)
    for skip, filters in zip(reversed(skips[:-1]), (256, 128, 64), strict=True):
        x = layers.UpSampling2D(interpolation="bilinear")(x)
        x = layers.Concatenate()([x, skip])
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = layers.UpSampling2D(4, interpolation="bilinear")(x)
    outputs = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="resnet34_matting")


def bench_source(repeats: int) -> dict[str, list[float]]:
    import keras

    effnet = keras.applications.EfficientNetB0(weights=None, input_shape=(224, 224, 3), include_top=False,
                                               pooling="avg")  # fmt: skip
    matting = resnet34_matting(512)
    out: dict[str, list[float]] = {"efficientnet_b0_224": [], "resnet34_matting_512": []}
    x224 = np.random.default_rng(0).random((1, 224, 224, 3), np.float32) * 255
    x512 = np.random.default_rng(0).random((1, 512, 512, 3), np.float32)
    for i in range(repeats + 2):
        for key, model, x in (("efficientnet_b0_224", effnet, x224), ("resnet34_matting_512", matting, x512)):
            started = time.perf_counter()
            model(x, training=False)
            if i >= 2:
                out[key].append((time.perf_counter() - started) * 1000)
    print("\nSource system's networks (random weights), one image each:")
    for key, values in out.items():
        print(f"  {key:22s} p50 {percentile(values, 50):7.1f} ms   p95 {percentile(values, 95):7.1f} ms")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--skip-source", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    stages = bench_stages(args.repeats)
    bench_matting_alternatives(max(3, args.repeats // 3))
    request = bench_request(args.repeats)
    if args.skip_source:
        return
    source = bench_source(args.repeats)
    ours_1mp = (
        percentile(stages[1.0]["faces"], 50)
        + percentile(stages[1.0]["segmentation"], 50)
        + percentile(stages[1.0]["matting"], 50)
    )
    theirs = percentile(source["resnet34_matting_512"], 50)
    ours_bg = percentile(stages[1.0]["colour_analysis"], 50)
    theirs_bg = percentile(source["efficientnet_b0_224"], 50)
    print("\nRatios (source system / emopic, same machine, same run; > 1 means emopic is faster):")
    print(f"  matting: ResNet-34 matting at 512 vs faces+segmentation+closed-form at 1 MP: {theirs / ours_1mp:.2f}x")
    print(f"  background: EfficientNet-B0 at 224 vs personal-colour analysis: {theirs_bg / ours_bg:.2f}x")
    print(f"  whole request at 1 MP p50: {percentile(request, 50):.0f} ms "
          f"(source networks alone: {theirs + theirs_bg:.0f} ms)")  # fmt: skip


if __name__ == "__main__":
    main()

"""suit latency: per stage on a 1-megapixel ID-style photo, the whole HTTP request, a refit, and, in the
same run, the source system's Keras U-Net face parser (filters 64..1024 at 512x512, random weights)
on the same machine, printed as ratios.

    .venv/bin/python bench/suit.py [--repeats 20]

Not a test: speed is measured here and recorded in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import p, photo_at_1mp, report, setup, use_test_database

PHOTO = "examples/knn_examples/test/alex_lacamoire1.jpg"  # chest-up, vest, shirt and tie


def bench_generate(rgb: np.ndarray, repeats: int) -> tuple[dict[str, list[float]], str]:
    """suit_generate's own stage timings (the service, without HTTP)."""
    from apps.core.imageio import DecodedImage
    from apps.suit.services import suit_generate

    image = DecodedImage(rgb=rgb, format="jpeg", source="upload")
    stages: dict[str, list[float]] = {}
    token = ""
    for i in range(repeats + 2):
        creation = suit_generate(image=image, owner="bench", style="navy-tie")
        token = creation.token
        if i >= 2:
            for key, value in creation.timings_ms.items():
                stages.setdefault(key, []).append(value)
    report(f"Stages at 1 MP ({rgb.shape[1]}x{rgb.shape[0]}), {repeats} runs", stages)
    return stages, token


def bench_request(rgb: np.ndarray, repeats: int) -> list[float]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from apps.core.imageio import encode_jpeg

    jpeg = encode_jpeg(rgb, quality=90)
    client = Client()
    times = []
    for i in range(repeats + 2):
        started = time.perf_counter()
        response = client.post("/api/suit/", {"image": SimpleUploadedFile("me.jpg", jpeg, "image/jpeg"),
                                              "style": "charcoal-tie"})  # fmt: skip
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 201, response.content[:300]
        if i >= 2:
            times.append(elapsed)
    report("Whole request, POST /api/suit/ at 1 MP", {"request": times})
    return times


def bench_refit(token: str, repeats: int) -> list[float]:
    from apps.suit.models import SuitPhoto
    from apps.suit.services import suit_refit

    photo = SuitPhoto.objects.get(token=token)
    times = []
    for i in range(repeats + 2):
        started = time.perf_counter()
        suit_refit(photo=photo, lift=0.05 * (i % 3 - 1), widen=0.05 * (i % 2))
        if i >= 2:
            times.append((time.perf_counter() - started) * 1000)
    report("Refit (fit sliders, no model runs again)", {"refit": times})
    return times


def bench_source_unet(repeats: int) -> list[float]:
    from apps.suit.unet import SOURCE_INPUT_SIZE, source_unet_for_benchmark

    model = source_unet_for_benchmark()
    x = np.random.default_rng(0).random((1, SOURCE_INPUT_SIZE, SOURCE_INPUT_SIZE, 3), np.float32)
    times = []
    for i in range(repeats + 2):
        started = time.perf_counter()
        model(x, training=False)
        if i >= 2:
            times.append((time.perf_counter() - started) * 1000)
    report(f"Source U-Net face parser, {model.count_params():,} parameters, one {SOURCE_INPUT_SIZE}px image",
           {"source_unet": times})  # fmt: skip
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    setup()
    use_test_database()
    rgb = photo_at_1mp(PHOTO)
    stages, token = bench_generate(rgb, args.repeats)
    request = bench_request(rgb, args.repeats)
    refit = bench_refit(token, args.repeats)
    source = bench_source_unet(args.repeats)
    parsing = p(stages["pose"], 50) + p(stages["parsing"], 50)
    print("\nRatios (source system / emopic, same machine, same run; > 1 means emopic is faster):")
    print(f"  face parsing: source U-Net at 512 px vs pose + mesh/colour parsing: {p(source, 50) / parsing:.1f}x")
    print(f"  source U-Net alone vs our whole request p50: {p(source, 50) / p(request, 50):.1f}x")
    print(f"  whole request at 1 MP p50: {p(request, 50):.0f} ms (target 400 ms); refit p50 {p(refit, 50):.0f} ms")


if __name__ == "__main__":
    main()

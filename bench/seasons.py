"""seasons latency: per stage at 256 and 1024 px output for every direction, the whole request at 1024,
and, in the same run, the source system's ResNet-9 CycleGAN generator at 256 (random weights) and the
generators this repo trains (its shipped 32-filter, 9-block one and the slim 6-block one), as ratios.

    .venv/bin/python bench/seasons.py [--repeats 8]

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


def landscape(side: int) -> np.ndarray:
    import cv2
    from skimage import data

    folder = REPO.parent / "shared" / "data" / "summer2winter_yosemite" / "testA"
    files = sorted(folder.glob("*.jpg")) if folder.exists() else []
    rgb = cv2.cvtColor(cv2.imread(str(files[1])), cv2.COLOR_BGR2RGB) if files else data.coffee()[:400, :400]
    return np.ascontiguousarray(cv2.resize(rgb, (side, side), interpolation=cv2.INTER_CUBIC))


def bench_stages(repeats: int) -> dict[int, dict[str, list[float]]]:
    from apps.core.timing import Timer
    from apps.seasons.pipeline.types import DIRECTIONS
    from apps.seasons.services import restore_quality, translate_square

    out: dict[int, dict[str, list[float]]] = {}
    for side in (256, 1024):
        square = landscape(side)
        stages: dict[str, list[float]] = {}
        for direction in DIRECTIONS:
            for i in range(repeats + 1):
                timer = Timer()
                result, _ = translate_square(square, direction, timer)
                restore_quality(result, timer)
                if i >= 1:
                    for key, value in timer.ms.items():
                        stages.setdefault(key, []).append(value)
                    stages.setdefault(f"translate {direction}", []).append(timer.ms["translate"])
                    stages.setdefault("pipeline", []).append(sum(timer.ms.values()))
        out[side] = stages
        print(f"\n{side}x{side} output, {repeats} runs per direction")
        for key, values in stages.items():
            print(f"  {key:26s} p50 {p(values, 50):7.1f} ms   p95 {p(values, 95):7.1f} ms")
    return out


def bench_request(repeats: int) -> list[float]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from apps.core.imageio import encode_jpeg

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    jpeg = encode_jpeg(landscape(1024), quality=92)
    client = Client()
    times = []
    for i in range(repeats + 1):
        started = time.perf_counter()
        response = client.post("/api/seasons/", {"image": SimpleUploadedFile("v.jpg", jpeg, "image/jpeg"),
                                                 "direction": "summer2winter"})  # fmt: skip
        assert response.status_code == 201, response.content[:300]
        if i >= 1:
            times.append((time.perf_counter() - started) * 1000)
    print(f"\nWhole request, POST /api/seasons/ at 1024 px: p50 {p(times, 50):.0f} ms, p95 {p(times, 95):.0f} ms")
    return times


def bench_generators(repeats: int) -> dict[str, list[float]]:
    from apps.seasons.cyclegan import build_generator

    x = np.random.default_rng(0).random((1, 256, 256, 3), np.float32) * 2 - 1
    out: dict[str, list[float]] = {}
    for name, filters, blocks in (("source ResNet-9 generator (64 filters)", 64, 9),
                                  ("shipped generator (32 filters, 9 blocks)", 32, 9),
                                  ("slim generator (32 filters, 6 blocks)", 32, 6)):  # fmt: skip
        model = build_generator(size=256, filters=filters, residual_blocks=blocks)
        for i in range(repeats + 2):
            started = time.perf_counter()
            model(x, training=False)
            if i >= 2:
                out.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    print("\nCycleGAN generators at 256 px (random weights), one image:")
    for key, values in out.items():
        print(f"  {key:40s} p50 {p(values, 50):7.1f} ms   p95 {p(values, 95):7.1f} ms")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=8)
    args = parser.parse_args()

    import django

    django.setup()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    stages = bench_stages(args.repeats)
    request = bench_request(args.repeats)
    generators = bench_generators(args.repeats)
    source = p(generators["source ResNet-9 generator (64 filters)"], 50)
    print("\nRatios (same machine, same run):")
    print(f"  source ResNet-9 generator at 256 / our translate stage at 256: "
          f"{source / p(stages[256]['translate'], 50):.2f}x")  # fmt: skip
    print(f"  whole request at 1024 px p50: {p(request, 50):.0f} ms (target 1500 ms)")


if __name__ == "__main__":
    main()

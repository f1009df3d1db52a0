"""What queueing takes off the web process: a photo request made inline against the same request queued.

    .venv/bin/python bench/jobs.py [--repeat 15] [--redis redis://127.0.0.1:6390/0]

Each tool's API is called through Django's test client with the same 1 MP photo, alternately inline
(EMOPIC_JOBS=inline: the whole generation in the request) and queued (EMOPIC_JOBS=celery: checks, decode,
lossless store, job row and the hand-over to the broker). With --redis the hand-over is a real publish to
that Redis (on a queue no worker reads, emptied afterwards); without it, the hand-over is not timed.
"""

from __future__ import annotations

import argparse
import time

from common import p, photo_at_1mp, setup, use_test_database

TOOLS = {
    "idphoto": {},
    "emoticon": {},
    "seasons": {"direction": "summer2winter"},
    "suit": {"style": "navy-tie"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--redis", default="", help="a Redis URL: time the real publish to it")
    args = parser.parse_args()
    setup()
    use_test_database()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.test.utils import override_settings

    from apps.core import jobs
    from apps.core.models import Job
    from tests.images import encode

    photo = encode(photo_at_1mp("examples/obama.jpg"), "JPEG", quality=90)
    queue = f"bench-{int(time.time())}"
    if not args.redis:
        jobs.send_id = lambda job_id, countdown=None: None  # the hand-over is left out of the timing
    client = Client()
    timings: dict[str, dict[str, list[float]]] = {tool: {"inline": [], "queued": []} for tool in TOOLS}
    for tool, fields in TOOLS.items():
        client.post(f"/api/{tool}/", {"image": SimpleUploadedFile("p.jpg", photo), **fields})  # warm-up
        for _ in range(args.repeat):
            for mode in ("inline", "queued"):
                overrides = {"EMOPIC_JOBS": "celery" if mode == "queued" else "inline", "EMOPIC_JOB_QUEUE": queue}
                if args.redis:
                    overrides["CELERY_BROKER_URL"] = args.redis
                with override_settings(**overrides):
                    started = time.perf_counter()
                    response = client.post(f"/api/{tool}/", {"image": SimpleUploadedFile("p.jpg", photo), **fields})
                    timings[tool][mode].append((time.perf_counter() - started) * 1000)
                expected = 202 if mode == "queued" else 201
                assert response.status_code == expected, (tool, mode, response.status_code, response.content[:200])
    Job.objects.all().delete()
    if args.redis:
        import redis

        redis.Redis.from_url(args.redis).delete(queue)
    hand_over = f"real publish to {args.redis}" if args.redis else "hand-over to the broker not timed"
    print(f"\nA 1 MP photo through each tool's API, {args.repeat} calls per mode, alternating ({hand_over}); "
          f"{settings.EMOPIC_INFERENCE_THREADS} inference threads")  # fmt: skip
    print("| tool | inline p50 / p95 | queued p50 / p95 | web time saved (inline / queued, p50) |")
    print("|---|---|---|---|")
    for tool, series in timings.items():
        inline, queued = series["inline"], series["queued"]
        print(f"| {tool} | {p(inline, 50):.0f} / {p(inline, 95):.0f} ms | {p(queued, 50):.0f} / {p(queued, 95):.0f} ms "
              f"| {p(inline, 50) / p(queued, 50):.1f}x |")  # fmt: skip


if __name__ == "__main__":
    main()

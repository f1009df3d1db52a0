"""Load test: concurrent uploads to every tool's JSON API, with live composition sockets streaming at the
same time, against a real daphne server on loopback; then a check that database rows and media files agree.

    .venv/bin/python bench/load.py [--clients 1,4,16] [--seconds 60] [--requests 400] [--sockets 3]
                                   [--tools idphoto,emoticon,seasons,suit,composition] [--solo-seconds 0]
                                   [--hang-ups 0] [--workdir DIR] [--out FILE.json]

The server is started here, with its own temporary SQLite database and media folder (migrated first), run as
deployed (``EMOPIC_DEBUG=False``, behind a pretend TLS proxy: requests carry ``X-Forwarded-Proto: https``).
Each tool is warmed up once. Then, for each number of clients, every client sends photos one after another
(a fixed mix across the tools, about one request in six a documented bad input) until the level's time or
request budget runs out, while ``--sockets`` coach sockets send a 320 px frame each time the last is answered,
at most every 100 ms, as the page does. Every request is checked as it ends: a creation (201, or 202 and then
a job that ends "done"), or, for a bad input, its documented 4xx with ``{"error": {"code", "message"}}``.

With ``--hang-ups``, some clients close the connection after sending their photo, before the answer. With
``--solo-seconds``, each tool then runs alone (two clients, no sockets) and the server's CPU time per photo is
read from /proc: the figure behind the capacity estimate in docs/DEPLOY.md.

At the end every creation row must have all its files in the media folder, every file there must belong to a
row, and the rows must be exactly the creations answered (plus, at most, one whole creation per hang-up). The server's resident memory is sampled throughout.
Exits non-zero on any 5xx, connection error, unexpected answer, disagreement between rows and files, or memory
over its bound. Photos are real (``../shared/data`` and OpenCV's samples from ``make testdata``), each scaled
to about one megapixel as in the single-request benchmarks, read where they lie and never copied.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import itertools
import json
import os
import platform
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path

if __package__ in (None, ""):  # run as a script: bench/ is on sys.path, the repo root is not
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REPO, p  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
FACES = SHARED / "faces" / "face_recognition" / "examples"
YOSEMITE = SHARED / "summer2winter_yosemite"
OPENCV_SAMPLES = REPO / ".cache" / "opencv-samples"
BAD_INPUTS = REPO / "tests" / "bad_inputs"

TOOLS = ("idphoto", "emoticon", "seasons", "suit", "composition")
BAD = "bad input"  # the report's row for the documented refusals
REQUEST_TIMEOUT_S = 300  # one request, or one job followed to its end; far above any seen
JOB_POLL_S = 0.25
SOCKET_PACE_MS = 100.0  # the page's least gap between frames
# Memory is bounded when the peak of the whole run stays within this factor of the RSS after warm-up (see
# docs/PERFORMANCE.md): the models are most of the warm RSS (2.3 GB); each request in flight adds its decoded
# photo and working arrays (70-110 MB measured at 1 MP), and each sync view runs in a thread of its own, so
# 16 clients hold 16 requests at once. Twice the warm RSS leaves room for 16 at the most measured.
MEMORY_FACTOR = 2.0


@dataclass(frozen=True)
class Case:
    """One request of the mix: a photo (or a bad input) for one tool's endpoint, and the answer it must get."""

    tool: str
    label: str
    body: bytes
    content_type: str
    expect: tuple[int, str] | None = None  # None: a creation; else the documented (status, error code)

    @property
    def url(self) -> str:
        return f"/api/{self.tool}/"


@dataclass
class Outcome:
    tool: str  # the endpoint's tool, or BAD
    label: str
    status: int | str  # the HTTP status, "202>done", "202>failed", "202>broken job" or "connection error"
    ms: float
    ok: bool
    problem: str = ""
    token: str = ""


@dataclass
class Config:
    clients: list[int] = field(default_factory=lambda: [1, 4, 16])
    seconds: float = 60.0  # per level, after which clients send nothing new
    requests: int = 400  # per level, at most
    sockets: int = 3
    tools: tuple[str, ...] = TOOLS
    bad_inputs: bool = True
    warmup: bool = True
    megapixels: float = 1.0
    memory_factor: float = MEMORY_FACTOR
    workdir: Path | None = None  # default: a temporary folder, removed afterwards
    solo_seconds: float = 0.0  # then each tool alone for this long (0: not at all)
    solo_clients: int = 2
    hang_ups: int = 0  # per level, photos whose client hangs up before the answer


# The photos. Each is read where it lies, scaled to about one megapixel and encoded as JPEG in memory.


def _photo(path: Path, megapixels: float) -> bytes:
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB")
    scale = (megapixels * 1e6 / (rgb.width * rgb.height)) ** 0.5
    size = (round(rgb.width * scale), round(rgb.height * scale))
    out = io.BytesIO()
    rgb.resize(size, Image.Resampling.LANCZOS).save(out, "JPEG", quality=90)
    return out.getvalue()


def _multipart(fields: dict[str, str], filename: str, content: bytes, mime: str = "image/jpeg") -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]  # fmt: skip
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{filename}"\r\n'
                 f"Content-Type: {mime}\r\n\r\n".encode() + content + b"\r\n")  # fmt: skip
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _json_body(fields: dict[str, str], content: bytes) -> tuple[bytes, str]:
    """The webcam's way: the photo as a data URL in a JSON body."""
    image = "data:image/jpeg;base64," + base64.b64encode(content).decode("ascii")
    return json.dumps({"image": image, **fields}).encode(), "application/json"


def _case(tool: str, label: str, content: bytes, fields: dict[str, str] | None = None, *, as_json: bool = False,
          expect: tuple[int, str] | None = None, filename: str = "photo.jpg") -> Case:  # fmt: skip
    body, content_type = _json_body(fields or {}, content) if as_json else _multipart(fields or {}, filename, content)
    return Case(tool, label, body, content_type, expect)


def missing_photos() -> list[Path]:
    needed = [FACES / "obama.jpg", FACES / "two_people.jpg", YOSEMITE / "testA", YOSEMITE / "testB",
              OPENCV_SAMPLES / "basketball1.png"]  # fmt: skip
    return [path for path in needed if not path.exists()]


def good_cases(megapixels: float) -> dict[str, list[Case]]:
    """Real photos each tool accepts, with a spread of the tool's options."""
    portraits = ["obama.jpg", "biden.jpg", "knn_examples/test/alex_lacamoire1.jpg", "obama2.jpg",
                 "knn_examples/test/johnsnow_test1.jpg", "lin-manuel-miranda.png"]  # fmt: skip
    faces = {name: _photo(FACES / name, megapixels) for name in portraits}
    summer = sorted((YOSEMITE / "testA").glob("*.jpg"))[:3]
    winter = sorted((YOSEMITE / "testB").glob("*.jpg"))[:3]
    suit_photos = ["knn_examples/test/alex_lacamoire1.jpg", "obama.jpg", "biden.jpg"]
    styles = ["navy-tie", "charcoal-women", "black-tie"]
    people = [OPENCV_SAMPLES / "basketball1.png", OPENCV_SAMPLES / "messi5.jpg",
              FACES / "knn_examples/test/kit_with_rose.jpg"]  # fmt: skip
    return {
        "idphoto": [_case("idphoto", name, faces[name], as_json=(i == 1)) for i, name in enumerate(portraits)],
        "emoticon": [_case("emoticon", name, faces[name], as_json=(i == 2)) for i, name in enumerate(portraits)],
        "seasons": [
            _case("seasons", f"{path.name} {direction}", _photo(path, megapixels), {"direction": direction})
            for path, direction in [
                *zip(summer, ["summer2winter", "day2night", "spring2autumn"], strict=True),
                *zip(winter, ["winter2summer", "night2day", "autumn2spring"], strict=True),
            ]
        ],  # fmt: skip
        "suit": [
            _case("suit", f"{name} {style}", faces[name], {"style": style, "size": "35x45"})
            for name, style in zip(suit_photos, styles, strict=True)
        ],  # fmt: skip
        "composition": [_case("composition", path.name, _photo(path, megapixels)) for path in people if path.exists()],
    }


def bad_cases(megapixels: float) -> list[Case]:
    """Documented refusals (README's API section, tests/bad_inputs/README.md)."""
    import numpy as np
    from PIL import Image

    portrait = _photo(FACES / "obama.jpg", megapixels)
    landscape = _photo(sorted((YOSEMITE / "testA").glob("*.jpg"))[0], megapixels)
    wall = io.BytesIO()
    Image.fromarray(np.full((768, 1024, 3), (128, 124, 118), np.uint8)).save(wall, "JPEG", quality=90)
    text = (BAD_INPUTS / "text.jpg").read_bytes()
    return [
        _case("idphoto", "landscape (no face)", landscape, expect=(422, "no_face")),
        _case(
            "emoticon", "two_people.jpg", _photo(FACES / "two_people.jpg", megapixels), expect=(422, "multiple_faces")
        ),  # fmt: skip
        _case("seasons", "unknown direction", landscape, {"direction": "noon2dusk"}, expect=(422, "unknown_direction")),
        _case("suit", "unknown style", portrait, {"style": "tuxedo"}, expect=(422, "unknown_style")),
        _case("composition", "empty wall (no person)", wall.getvalue(), expect=(422, "no_person")),
        _case("idphoto", "text named .jpg", text, filename="text.jpg", expect=(415, "unsupported_format")),
    ]


def schedule(good: dict[str, list[Case]], bad: list[Case], tools: tuple[str, ...]) -> itertools.cycle:
    """Rounds of one photo per tool then one bad input, each list taken in turn."""
    rounds = max([len(good[tool]) for tool in tools] + [len(bad)])
    mix = []
    for i in range(rounds):
        mix += [good[tool][i % len(good[tool])] for tool in tools]
        if bad:
            mix.append(bad[i % len(bad)])
    return itertools.cycle(mix)


def socket_frame() -> bytes:
    """What the coach page sends: a full-body photo at 320 px, JPEG quality 70."""
    from PIL import Image

    with Image.open(OPENCV_SAMPLES / "basketball1.png") as image:
        rgb = image.convert("RGB")
    scale = 320 / max(rgb.size)
    out = io.BytesIO()
    rgb.resize((round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.LANCZOS).save(
        out, "JPEG", quality=70
    )
    return out.getvalue()


# The server.


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """daphne on loopback with its own database and media folder, deployed settings, its log kept."""

    def __init__(self, workdir: Path) -> None:
        self.db = workdir / "db.sqlite3"
        self.media = workdir / "media"
        self.log = workdir / "server.log"
        self.port = _free_port()
        # Its own SQLite file and media folder, whatever database or bucket the caller's environment names.
        inherited = {k: v for k, v in os.environ.items() if k not in ("EMOPIC_POSTGRES_DB", "EMOPIC_S3_BUCKET")}
        self.env = {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "emopic.settings",
            "EMOPIC_SQLITE_PATH": str(self.db),
            "EMOPIC_MEDIA_ROOT": str(self.media),
            "EMOPIC_DEBUG": "False",
            "EMOPIC_SECRET_KEY": secrets.token_urlsafe(50),
            "EMOPIC_ALLOWED_HOSTS": "127.0.0.1",
            "EMOPIC_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
            "EMOPIC_SECURE_SSL_REDIRECT": "False",
            "EMOPIC_HSTS_SECONDS": "0",
            "EMOPIC_WARMUP_MODELS": "True",
            "EMOPIC_LOG_LEVEL": "WARNING",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=self.env,
                       check=True, timeout=300)  # fmt: skip
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "emopic.asgi:application"],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"daphne did not start in 120 s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback") if self.log.exists() else 0


# Memory and CPU of the server process, from /proc.


@dataclass
class Sample:
    t: float
    rss_mb: float
    threads: int
    cpu_s: float  # the server's CPU time so far
    machine_busy_s: float  # every core's busy time so far, whatever ran on it


def read_proc(pid: int) -> Sample:
    status = Path(f"/proc/{pid}/status").read_text()
    values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    # /proc/stat's first line: user nice system idle iowait irq softirq steal ...; busy is all but idle and iowait.
    jiffies = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return Sample(
        t=time.monotonic(),
        rss_mb=int(values["VmRSS"].split()[0]) / 1024,
        threads=int(values["Threads"]),
        cpu_s=(int(fields[11]) + int(fields[12])) / ticks,  # utime + stime
        machine_busy_s=(sum(jiffies) - jiffies[3] - jiffies[4]) / ticks,
    )


class Sampler:
    def __init__(self, pid: int, every_s: float = 0.2) -> None:
        self.pid, self.every_s = pid, every_s
        self.samples: list[Sample] = []
        self._task: asyncio.Task | None = None

    def now(self) -> Sample:
        sample = read_proc(self.pid)
        self.samples.append(sample)
        return sample

    async def _run(self) -> None:
        while True:
            self.now()
            await asyncio.sleep(self.every_s)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def between(self, start: float, end: float) -> list[Sample]:
        return [s for s in self.samples if start <= s.t <= end]


# The clients.


class Http:
    """One API client: its own session cookie (as a browser or app keeps it), blocking calls run in threads."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}

    def call(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> tuple[int, bytes]:
        url = path if path.startswith("http") else self.base + path
        headers = {"X-Forwarded-Proto": "https", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
                status, content, set_cookies = response.status, response.read(), response.headers.get_all("Set-Cookie")
        except urllib.error.HTTPError as error:
            status, content, set_cookies = error.code, error.read(), error.headers.get_all("Set-Cookie")
        for header in set_cookies or []:
            # The cookies are Secure (deployed settings); this client is the browser behind the TLS proxy.
            self.cookies.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
        return status, content


def _json(content: bytes) -> dict:
    try:
        value = json.loads(content)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _error_shape(body: dict) -> tuple[str, str] | None:
    error = body.get("error")
    if isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str):
        if error["code"] and error["message"]:
            return error["code"], error["message"]
    return None


def follow_job(http: Http, job: dict, started: float) -> tuple[str, dict]:
    """A 202's job polled at its ``url`` until "done" or "failed": ("done", the creation) or ("failed", the job)."""
    url = job.get("url")
    if not isinstance(url, str) or not url:
        raise ValueError(f"a 202 without the job's url: {job}")
    while time.perf_counter() - started < REQUEST_TIMEOUT_S:
        if job.get("status") == "done":
            creation_url = job.get("creation_url") or ""
            status, content = http.call("GET", creation_url) if creation_url else (0, b"")
            if status != 200:
                raise ValueError(f"the done job's creation_url {creation_url!r} answered {status}")
            # The creation's JSON carries its id; a page URL ends with it (/<tool>/<token>/).
            token = _json(content).get("id") or urllib.parse.urlsplit(creation_url).path.rstrip("/").rsplit("/", 1)[-1]
            return "done", {"id": token}
        if job.get("status") == "failed":
            return "failed", job
        time.sleep(JOB_POLL_S)
        status, content = http.call("GET", url)
        if status != 200:
            raise ValueError(f"polling the job answered {status}")
        job = _json(content)
    raise ValueError(f"the job did not end in {REQUEST_TIMEOUT_S} s")


def send(http: Http, case: Case) -> Outcome:
    """One request, checked against what its case must get."""
    tool = BAD if case.expect else case.tool
    started = time.perf_counter()
    try:
        status, content = http.call("POST", case.url, case.body, case.content_type)
        body = _json(content)
        if status == 202:
            state, body = follow_job(http, body, started)
            status = f"202>{state}"
    except OSError as exc:  # URLError, refused or reset connections and timeouts are all OSErrors
        return Outcome(tool, case.label, "connection error", (time.perf_counter() - started) * 1000, False,
                       f"{case.url} {case.label}: {type(exc).__name__}: {exc}")  # fmt: skip
    except ValueError as exc:  # a job that broke its contract
        return Outcome(tool, case.label, "202>broken job", (time.perf_counter() - started) * 1000, False,
                       f"{case.url} {case.label}: {exc}")  # fmt: skip
    ms = (time.perf_counter() - started) * 1000
    if case.expect is None:
        token = body.get("id") if status in (201, "202>done") else None
        if isinstance(token, str) and token:
            return Outcome(tool, case.label, status, ms, True, token=token)
        return Outcome(tool, case.label, status, ms, False, f"{case.url} {case.label}: {status} {content[:300]!r}")
    error = _error_shape(body)
    if status in (case.expect[0], "202>failed") and error is not None and error[0] == case.expect[1]:
        return Outcome(tool, case.label, status, ms, True)
    return Outcome(tool, case.label, status, ms, False,
                   f"{case.url} {case.label}: expected {case.expect}, got {status} {content[:300]!r}")  # fmt: skip


class Budget:
    """The level's bounds: no new request after the deadline or once ``count`` were started."""

    def __init__(self, count: int, seconds: float) -> None:
        self.left = count
        self.deadline = time.monotonic() + seconds

    def take(self) -> bool:
        if self.left <= 0 or time.monotonic() >= self.deadline:
            return False
        self.left -= 1
        return True


async def api_client(base: str, mix: itertools.cycle, budget: Budget, pool: ThreadPoolExecutor) -> list[Outcome]:
    http, outcomes = Http(base), []
    loop = asyncio.get_running_loop()
    while budget.take():
        outcomes.append(await loop.run_in_executor(pool, send, http, next(mix)))
    return outcomes


def hang_up(port: int, case: Case, after_s: float) -> None:
    """Send the whole request, then close the connection ``after_s`` later, before the answer comes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        head = (f"POST {case.url} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
                f"Content-Type: {case.content_type}\r\nContent-Length: {len(case.body)}\r\n\r\n")  # fmt: skip
        connection.sendall(head.encode() + case.body)
        time.sleep(after_s)


async def hang_ups(server: Server, mix: itertools.cycle, count: int, seconds: float, pool: ThreadPoolExecutor) -> int:
    """``count`` clients that give up, spread over the level, each at another moment of its request."""
    loop, sent = asyncio.get_running_loop(), 0
    for i in range(count):
        await asyncio.sleep(seconds / (count + 1))
        case = next(mix)
        while case.expect is not None:
            case = next(mix)
        await loop.run_in_executor(pool, hang_up, server.port, case, (i % 8) * 0.05)
        sent += 1
    return sent


@dataclass
class SocketResult:
    answered: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def socket_client(base: str, frame: bytes, stop: asyncio.Event, pace_ms: float = SOCKET_PACE_MS) -> SocketResult:
    """As the coach page does: the next frame when the last is answered, not sooner than ``pace_ms`` after it."""
    import websockets

    result, seq = SocketResult(), 0
    url = base.replace("http://", "ws://") + "/ws/composition/"
    try:
        async with websockets.connect(url, origin="http://127.0.0.1", max_size=2**20, open_timeout=30) as ws:
            while not stop.is_set():
                seq += 1
                sent = time.perf_counter()
                await ws.send(seq.to_bytes(4, "big") + frame)
                while True:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=REQUEST_TIMEOUT_S))
                    if message.get("seq") == seq:
                        break
                if message.get("type") == "analysis":
                    result.answered += 1
                    result.latencies.append((time.perf_counter() - sent) * 1000)
                else:
                    result.errors += 1
                    result.problems.append(f"socket frame {seq}: {message}")
                await asyncio.sleep(max(0.0, sent + pace_ms / 1000 - time.perf_counter()))
    except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as exc:
        result.problems.append(f"socket: {type(exc).__name__}: {exc}")
    return result


# One level, and its figures.


def tool_stats(outcomes: list[Outcome], seconds: float) -> dict:
    ok_ms = [o.ms for o in outcomes if o.ok]
    return {
        "requests": len(outcomes),
        "ok": len(ok_ms),
        "statuses": dict(sorted(Counter(str(o.status) for o in outcomes).items())),
        "per_s": round(len(ok_ms) / seconds, 3) if seconds else 0.0,
        "p50_ms": round(p(ok_ms, 50), 1) if ok_ms else None,
        "p95_ms": round(p(ok_ms, 95), 1) if ok_ms else None,
    }


def memory_stats(samples: list[Sample]) -> dict:
    if not samples:
        return {}
    return {
        "rss_start_mb": round(samples[0].rss_mb, 1),
        "rss_peak_mb": round(max(s.rss_mb for s in samples), 1),
        "rss_end_mb": round(samples[-1].rss_mb, 1),
        "threads_peak": max(s.threads for s in samples),
        "server_cpu_s": round(samples[-1].cpu_s - samples[0].cpu_s, 2),
        "machine_busy_s": round(samples[-1].machine_busy_s - samples[0].machine_busy_s, 2),
    }


async def run_level(server: Server, clients: int, config: Config, mix: itertools.cycle, frame: bytes | None,
                    sampler: Sampler, pool: ThreadPoolExecutor) -> tuple[dict, list[Outcome], list[str]]:  # fmt: skip
    stop = asyncio.Event()
    sockets = [
        asyncio.create_task(socket_client(server.base, frame, stop)) for _ in range(config.sockets if frame else 0)
    ]
    first = sampler.now()
    budget = Budget(config.requests, config.seconds)
    hung = asyncio.create_task(hang_ups(server, mix, config.hang_ups, config.seconds, pool))
    per_client = await asyncio.gather(*(api_client(server.base, mix, budget, pool) for _ in range(clients)))
    seconds = time.monotonic() - first.t
    stop.set()
    socket_results = await asyncio.gather(*sockets)
    hung_up = await hung
    last = sampler.now()
    outcomes = [outcome for client in per_client for outcome in client]
    by_tool = {tool: [o for o in outcomes if o.tool == tool] for tool in [*config.tools, BAD]}
    photos = [o for o in outcomes if o.tool != BAD]
    latencies = [ms for r in socket_results for ms in r.latencies]
    memory = memory_stats(sampler.between(first.t, last.t))
    level = {
        "clients": clients,
        "seconds": round(seconds, 1),
        "hung_up": hung_up,
        "tools": {tool: tool_stats(items, seconds) for tool, items in by_tool.items() if items},
        "all photos": tool_stats(photos, seconds),
        "sockets": {
            "count": len(socket_results),
            "frames": sum(r.answered for r in socket_results),
            "frames_per_s_each": round(sum(r.answered for r in socket_results) / seconds / len(socket_results), 2)
            if socket_results
            else None,
            "p50_ms": round(p(latencies, 50), 1) if latencies else None,
            "p95_ms": round(p(latencies, 95), 1) if latencies else None,
            "errors": sum(r.errors for r in socket_results),
        },  # fmt: skip
        "memory": memory,
        "cores_busy": round(memory.get("server_cpu_s", 0) / seconds, 2) if seconds else None,
        # Everything on the machine: the server, this client, and anything else running beside them.
        "machine_cores_busy": round(memory.get("machine_busy_s", 0) / seconds, 2) if seconds else None,
    }
    problems = [o.problem for o in outcomes if not o.ok] + [msg for r in socket_results for msg in r.problems]
    return level, outcomes, problems


# Rows and files.


def check_rows_and_files(db: Path, media: Path, created: set[str], hung_up: int = 0) -> dict:
    """Every creation row has all its files, every media file belongs to a row, and the rows are the creations
    answered (``created``: the tokens of every 201 and done job), plus at most one for each request whose client
    hung up (``hung_up``: the work may have been done, whole, with nobody left to tell). Read straight from the
    SQLite file, so that it works beside any database the calling process is configured with."""
    from django.db.models import FileField

    from apps.core.creations import creation_models

    rows: dict[str, int] = {}
    referenced: set[str] = set()
    missing, tokens = [], set()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        for model in creation_models():
            file_fields = [f for f in model._meta.get_fields() if isinstance(f, FileField)]
            columns = ", ".join(f'"{f.column}"' for f in file_fields)
            found = connection.execute(f'SELECT "token", {columns} FROM "{model._meta.db_table}"').fetchall()
            rows[model.TOOL] = len(found)
            for token, *names in found:
                tokens.add(token)
                for file_field, name in zip(file_fields, names, strict=True):
                    if not name:
                        if not file_field.blank:
                            missing.append(f"{model.TOOL} {token}: {file_field.name} is empty")
                        continue
                    referenced.add(name)
                    path = media / name
                    if not path.is_file() or path.stat().st_size == 0:
                        missing.append(f"{model.TOOL} {token}: {file_field.name} {name}")
        # Files of other rows (a queued job's upload) are referenced too, though not by a creation.
        for table, column in _other_file_columns():
            referenced.update(name for (name,) in connection.execute(f'SELECT "{column}" FROM "{table}"') if name)
    on_disk = (
        {path.relative_to(media).as_posix() for path in media.rglob("*") if path.is_file()} if media.exists() else set()
    )
    orphans = sorted(on_disk - referenced)
    return {
        "rows": rows,
        "rows_total": sum(rows.values()),
        "created": len(created),
        "files": len(on_disk),
        "missing_files": missing,
        "orphan_files": orphans,
        "answered_but_no_row": sorted(created - tokens),
        "row_never_answered": sorted(tokens - created),
        "hung_up": hung_up,
        "ok": not missing and not orphans and created <= tokens and len(tokens - created) <= hung_up
        and sum(rows.values()) == len(tokens),
    }  # fmt: skip


def _other_file_columns() -> list[tuple[str, str]]:
    from django.apps import apps
    from django.db.models import FileField

    from apps.core.creations import creation_models

    creations = set(creation_models())
    return [(model._meta.db_table, f.column) for model in apps.get_models() if model not in creations
            for f in model._meta.get_fields() if isinstance(f, FileField)]  # fmt: skip


# The whole run.


async def _run(config: Config, server: Server) -> dict:
    good, bad = good_cases(config.megapixels), bad_cases(config.megapixels) if config.bad_inputs else []
    mix = schedule(good, bad, config.tools)
    frame = socket_frame() if config.sockets else None
    sampler = Sampler(server.pid)
    sampler.start()
    problems: list[str] = []
    created: set[str] = set()
    with ThreadPoolExecutor(
        max_workers=max(*config.clients, config.solo_clients) + 1, thread_name_prefix="load"
    ) as pool:
        loop = asyncio.get_running_loop()
        warmup: dict = {}
        if config.warmup:
            started = sampler.now()
            http = Http(server.base)
            for tool in config.tools:
                outcome = await loop.run_in_executor(pool, send, http, good[tool][0])
                warmup[tool] = round(outcome.ms, 1)
                if outcome.ok:
                    created.add(outcome.token)
                else:
                    problems.append(f"warm-up: {outcome.problem}")
            if frame:
                stop = asyncio.Event()
                task = asyncio.create_task(socket_client(server.base, frame, stop))
                await asyncio.sleep(3)
                stop.set()
                problems += (await task).problems
            warmup = {"ms": warmup, **memory_stats(sampler.between(started.t, sampler.now().t))}
        after_warmup = sampler.now().rss_mb
        levels, every = [], []
        for clients in config.clients:
            level, outcomes, level_problems = await run_level(server, clients, config, mix, frame, sampler, pool)
            levels.append(level)
            every += outcomes
            problems += level_problems
            created.update(o.token for o in outcomes if o.ok and o.token)
            print(_level_line(level), flush=True)
        # Each tool alone, no sockets: the server's CPU time per photo, for the capacity estimate.
        solo = {}
        for tool in config.tools if config.solo_seconds else ():
            alone = replace(config, tools=(tool,), sockets=0, seconds=config.solo_seconds, hang_ups=0)
            level, outcomes, level_problems = await run_level(server, config.solo_clients, alone,
                                                              itertools.cycle(good[tool]), None, sampler, pool)  # fmt: skip
            every += outcomes
            problems += level_problems
            created.update(o.token for o in outcomes if o.ok and o.token)
            stats, cpu_s = level["tools"][tool], level["memory"]["server_cpu_s"]
            solo[tool] = {"clients": config.solo_clients, "seconds": level["seconds"], **stats, "server_cpu_s": cpu_s,
                          "cpu_s_per_photo": round(cpu_s / stats["ok"], 3) if stats["ok"] else None,
                          "photos_per_core_s": round(stats["ok"] / cpu_s, 2) if cpu_s else None,
                          "cores_busy": level["cores_busy"], "machine_cores_busy": level["machine_cores_busy"]}  # fmt: skip
            print(f"  {tool} alone: {stats['ok']} photos, {stats['per_s']:.2f}/s, {solo[tool]['cpu_s_per_photo']} "
                  f"server CPU s a photo", flush=True)  # fmt: skip
    await sampler.stop()
    peak = max(s.rss_mb for s in sampler.samples)
    memory = {
        "after_warmup_mb": round(after_warmup, 1),
        "peak_mb": round(peak, 1),
        "end_mb": round(sampler.samples[-1].rss_mb, 1),
        "factor": round(peak / after_warmup, 2),
        "limit_factor": config.memory_factor,
        # Without a warm-up the models load during the run, and there is no settled baseline to compare with.
        "ok": peak <= config.memory_factor * after_warmup if config.warmup else None,
    }
    if memory["ok"] is False:
        problems.append(f"memory: peak {peak:.0f} MB over {config.memory_factor} x {after_warmup:.0f} MB after warm-up")
    five_xx = sum(1 for o in every if isinstance(o.status, int) and o.status >= 500)
    connection_errors = sum(1 for o in every if o.status == "connection error")
    return {"warmup": warmup, "levels": levels, "solo": solo, "memory": memory, "five_xx": five_xx,
            "connection_errors": connection_errors, "problems": problems, "created": created}  # fmt: skip


def run(config: Config) -> dict:
    """Start the server, run every level, stop it, check rows and files; the summary (``ok`` says if it passed)."""
    workdir = config.workdir or Path(tempfile.mkdtemp(prefix="emopic-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    server = Server(workdir)
    server.start()
    try:
        result = asyncio.run(_run(config, server))
    finally:
        server.stop()
    created = result.pop("created")
    hung_up = sum(level["hung_up"] for level in result["levels"])
    consistency = check_rows_and_files(server.db, server.media, created, hung_up)
    problems = result["problems"]
    if not consistency["ok"]:
        problems.append("rows and files disagree: see consistency")
    tracebacks = server.tracebacks()
    if tracebacks:
        problems.append(f"the server logged {tracebacks} traceback(s):\n{server.log_tail()}")
    summary = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "config": {**asdict(config), "workdir": str(workdir)},
        **result,
        "consistency": consistency,
        "server_tracebacks": tracebacks,
        "ok": not problems,
        "workdir": str(workdir),
        "db": str(server.db),
        "media": str(server.media),
    }
    if config.workdir is None and summary["ok"]:
        shutil.rmtree(workdir, ignore_errors=True)
    return summary


def _level_line(level: dict) -> str:
    a, s, m = level["all photos"], level["sockets"], level["memory"]
    return (f"{level['clients']:3d} client(s), {level['seconds']:.0f} s: {a['ok']}/{a['requests']} photos "
            f"({a['per_s']:.2f}/s, p50 {a['p50_ms']} ms, p95 {a['p95_ms']} ms); sockets {s['frames_per_s_each']} "
            f"frames/s each; RSS {m.get('rss_start_mb')} -> peak {m.get('rss_peak_mb')} MB; "
            f"{level['cores_busy']} cores busy")  # fmt: skip


def markdown(summary: dict) -> str:
    lines = [
        "| clients | tool | requests | done | per second | p50 (ms) | p95 (ms) | answers |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for level in summary["levels"]:
        for tool, stats in [*level["tools"].items(), ("all photos", level["all photos"])]:
            answers = ", ".join(f"{k}: {v}" for k, v in stats["statuses"].items())
            name = f"**{tool}**" if tool == "all photos" else tool
            lines.append(f"| {level['clients']} | {name} | {stats['requests']} | {stats['ok']} | {stats['per_s']:.2f} "
                         f"| {stats['p50_ms']} | {stats['p95_ms']} | {answers} |")  # fmt: skip
    lines += ["", "| clients | coach sockets | frames/s each | round trip p50 (ms) | p95 (ms) | errors "
                  "| server RSS start / peak / end (MB) | threads peak | server cores busy | machine cores busy |",
              "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for level in summary["levels"]:
        s, m = level["sockets"], level["memory"]
        lines.append(f"| {level['clients']} | {s['count']} | {s['frames_per_s_each']} | {s['p50_ms']} | {s['p95_ms']} "
                     f"| {s['errors']} | {m['rss_start_mb']:.0f} / {m['rss_peak_mb']:.0f} / {m['rss_end_mb']:.0f} "
                     f"| {m['threads_peak']} | {level['cores_busy']} | {level['machine_cores_busy']} |")  # fmt: skip
    if summary.get("solo"):
        lines += ["", "| tool alone | clients | photos | per second | p50 (ms) | p95 (ms) | server CPU s a photo "
                      "| photos a second per core | server cores busy | machine cores busy |",
                  "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for tool, x in summary["solo"].items():
            lines.append(f"| {tool} | {x['clients']} | {x['ok']} | {x['per_s']:.2f} | {x['p50_ms']} | {x['p95_ms']} "
                         f"| {x['cpu_s_per_photo']} | {x['photos_per_core_s']} | {x['cores_busy']} "
                         f"| {x['machine_cores_busy']} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1,4,16", help="concurrent API clients, one level each")
    parser.add_argument("--seconds", type=float, default=60.0, help="per level: no new request after this")
    parser.add_argument("--requests", type=int, default=400, help="per level: at most this many requests")
    parser.add_argument("--sockets", type=int, default=3, help="live coach sockets during every level")
    parser.add_argument("--tools", default=",".join(TOOLS), help="the tools in the mix")
    parser.add_argument("--no-bad-inputs", action="store_true", help="leave the documented refusals out")
    parser.add_argument(
        "--solo-seconds",
        type=float,
        default=0.0,
        help="after the levels, each tool alone for this long (server CPU time per photo)",
    )
    parser.add_argument("--solo-clients", type=int, default=2)
    parser.add_argument(
        "--hang-ups",
        type=int,
        default=0,
        help="per level, photos whose client hangs up before the answer (their creations must be whole)",
    )
    parser.add_argument("--megapixels", type=float, default=1.0)
    parser.add_argument("--memory-factor", type=float, default=MEMORY_FACTOR)
    parser.add_argument("--workdir", type=Path, help="keep the server's database, media and log here")
    parser.add_argument("--out", type=Path, help="also write the JSON summary here, and the tables beside it (.md)")
    args = parser.parse_args()
    tools = tuple(t for t in args.tools.split(",") if t)
    if unknown := set(tools) - set(TOOLS):
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    if missing := missing_photos():
        sys.exit(f"missing photos: {', '.join(map(str, missing))} (../shared/data, and `make testdata`)")
    config = Config(clients=[int(c) for c in args.clients.split(",")], seconds=args.seconds, requests=args.requests,
                    sockets=args.sockets, tools=tools, bad_inputs=not args.no_bad_inputs, megapixels=args.megapixels,
                    memory_factor=args.memory_factor, workdir=args.workdir,
                    solo_seconds=args.solo_seconds, solo_clients=args.solo_clients, hang_ups=args.hang_ups)  # fmt: skip

    import django

    django.setup()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}", flush=True)
    summary = run(config)
    table = markdown(summary)
    print(json.dumps(summary, indent=2, default=str))
    print("\n" + table)
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2, default=str) + "\n")
        args.out.with_suffix(".md").write_text(table + "\n")
    if not summary["ok"]:
        print("\nFAILED:\n" + "\n".join(summary["problems"]), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

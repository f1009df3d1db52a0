"""Issue 7: the load test's harness (bench/load.py) end to end in its smallest configuration.

One client sends one photo to each tool and one bad input to a real daphne server while one coach socket
streams; no 5xx, and every row has its files and every file its row. Then a file is deleted and a stray one
dropped in the media folder, and the same check must say so: it is not a check that always passes.
The client's side of the job contract (a 202, then polling the job) is tested against a scripted server.
"""

from __future__ import annotations

import concurrent.futures
import json
import sqlite3
from pathlib import Path

import pytest

from apps.core.creations import creation_models
from bench import load


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> dict:
    if missing := load.missing_photos():
        pytest.skip(f"absent: {', '.join(map(str, missing))} (../shared/data, and `make testdata`)")
    config = load.Config(clients=[1], seconds=40, requests=len(load.TOOLS) + 1, sockets=1, warmup=False,
                         workdir=tmp_path_factory.mktemp("load"))  # fmt: skip
    # In a thread of its own: the harness runs its own event loop, and the browser tests leave one running
    # in this thread when they run first in the same session.
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(load.run, config).result()


@pytest.mark.models
def test_a_tiny_run_answers_every_tool_without_5xx_and_keeps_rows_and_files_in_step(tiny_run):
    level = tiny_run["levels"][0]

    assert tiny_run["ok"], tiny_run["problems"]
    assert tiny_run["five_xx"] == 0 and tiny_run["connection_errors"] == 0
    assert {tool: stats["statuses"] for tool, stats in level["tools"].items()} == {
        **{tool: {"201": 1} for tool in load.TOOLS},
        load.BAD: {"422": 1},  # the first bad input: a landscape sent for an ID photo, no_face
    }
    assert level["sockets"]["frames"] > 0 and level["sockets"]["errors"] == 0
    consistency = tiny_run["consistency"]
    assert consistency["ok"] and consistency["rows_total"] == consistency["created"] == len(load.TOOLS)


@pytest.mark.models
def test_the_check_finds_a_deleted_file_a_stray_one_and_a_row_nobody_was_given(tiny_run):
    db, media = Path(tiny_run["db"]), Path(tiny_run["media"])
    with sqlite3.connect(db) as connection:
        tokens = {model.TOOL: connection.execute(f'SELECT "token" FROM "{model._meta.db_table}"').fetchone()[0]
                  for model in creation_models()}  # fmt: skip
    deleted = sorted((media / "suit" / tokens["suit"]).iterdir())[0]
    deleted.unlink()
    stray = media / "idphoto" / "half-written.png"
    stray.write_bytes(b"\x89PNG")

    consistency = load.check_rows_and_files(db, media, created=set(tokens.values()) - {tokens["emoticon"]})

    assert not consistency["ok"]
    assert [line.split()[-1] for line in consistency["missing_files"]] == [deleted.relative_to(media).as_posix()]
    assert consistency["orphan_files"] == ["idphoto/half-written.png"]
    assert consistency["row_never_answered"] == [tokens["emoticon"]]


class ScriptedHttp:
    """Answers each call with the next scripted (status, JSON body), and records the calls."""

    def __init__(self, *answers: tuple[int, dict]) -> None:
        self.answers, self.calls = list(answers), []

    def call(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> tuple[int, bytes]:
        self.calls.append((method, path))
        status, answer = self.answers.pop(0)
        return status, json.dumps(answer).encode()


JOB = {"id": "j1", "tool": "idphoto", "status": "queued", "url": "/api/jobs/j1"}


@pytest.fixture
def no_wait(monkeypatch):
    monkeypatch.setattr(load, "JOB_POLL_S", 0)


def test_a_202_is_followed_until_its_job_is_done_and_counts_as_its_creation(no_wait):
    http = ScriptedHttp((202, JOB), (200, {**JOB, "status": "running"}),
                        (200, {**JOB, "status": "done", "creation_url": "/api/idphoto/tok"}), (200, {"id": "tok"}))  # fmt: skip

    outcome = load.send(http, load.Case("idphoto", "portrait", b"", "image/jpeg"))

    assert (outcome.ok, outcome.status, outcome.token) == (True, "202>done", "tok")
    assert http.calls[1:] == [("GET", "/api/jobs/j1"), ("GET", "/api/jobs/j1"), ("GET", "/api/idphoto/tok")]


def test_a_failed_job_is_the_documented_error_for_a_bad_input_and_a_failure_for_a_good_photo(no_wait):
    failed = {**JOB, "status": "failed", "error": {"code": "no_face", "message": "No face was found."}}

    bad = load.send(ScriptedHttp((202, JOB), (200, failed)), load.Case("idphoto", "wall", b"", "", (422, "no_face")))
    good = load.send(ScriptedHttp((202, JOB), (200, failed)), load.Case("idphoto", "portrait", b"", ""))

    assert (bad.ok, bad.status) == (True, "202>failed")
    assert (good.ok, good.status) == (False, "202>failed")


def test_a_202_without_a_job_url_is_a_failure_not_a_creation():
    outcome = load.send(ScriptedHttp((202, {"id": "j1"})), load.Case("idphoto", "portrait", b"", ""))

    assert (outcome.ok, outcome.status) == (False, "202>broken job")

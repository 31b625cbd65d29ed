"""Slow: `budget-qa serve` processes on one PostgreSQL store and one Chroma server. One
conversation's follow-ups sent alternately to two servers are answered as follow-ups (as
the same conversation on one server answers them), the rate limit is one limit for both,
and `--workers 2` serves a conversation whichever worker takes each turn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.backends.servers import free_port
from tests.conftest import ROOT, SEED

pytestmark = pytest.mark.slow

CLI = Path(sys.executable).parent / "budget-qa"
TURNS = ["三公经费是多少？", "比上年增长多少？", "公务接待费呢？", "这两项加起来呢？"]
LIMIT = 30  # chat requests per minute per client


def environment(database_url: str, chroma_url: str) -> dict[str, str]:
    return {**os.environ, "BUDGETQA_DATABASE_URL": database_url, "BUDGETQA_CHROMA_URL": chroma_url,
            "BUDGETQA_RATE_LIMIT_PER_MINUTE": str(LIMIT),
            "BUDGETQA_CACHE_DIR": os.environ.get("BUDGETQA_CACHE_DIR", str(Path.home() / ".cache" / "budget-qa"))}


@contextmanager
def serving(data: Path, env: dict[str, str], *ports: int, workers: int = 1) -> Iterator[list[str]]:
    """`budget-qa serve` on each port, once each answers its health check."""
    processes = [subprocess.Popen([str(CLI), "--data-dir", str(data), "serve", "--port", str(port),
                                   "--workers", str(workers)], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for process, url in zip(processes, urls, strict=True):
            deadline = time.monotonic() + 300
            while call(url, "/api/health")[0] != 200:
                assert process.poll() is None, process.communicate()[1][-3000:]
                assert time.monotonic() < deadline, f"{url} did not start"
                time.sleep(0.5)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def call(url: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except OSError:
        return 0, {}


def converse(urls: list[str]) -> list[str]:
    """TURNS as one conversation, turn i sent to urls[i % len(urls)]."""
    answers, cid = [], None
    for i, question in enumerate(TURNS):
        status, reply = call(urls[i % len(urls)], "/api/chat", {"message": question, "conversation_id": cid})
        assert status == 200, reply
        assert cid is None or reply["conversation_id"] == cid
        cid = reply["conversation_id"]
        answers.append(reply["answer"])
    return answers


@pytest.fixture
def ingested(database_url: str, chroma_url: str, tmp_path: Path) -> dict[str, str]:
    env = environment(database_url, chroma_url)
    done = subprocess.run([str(CLI), "--data-dir", str(tmp_path / "ingest"), "ingest", str(SEED)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return env


def test_two_servers_continue_one_conversation_and_share_the_limit(ingested: dict[str, str], tmp_path: Path) -> None:
    with serving(tmp_path / "serve", ingested, free_port(), free_port()) as urls:
        first = time.monotonic()
        one_server = converse(urls[:1])
        assert "2.28" in one_server[0] and "0.02" in one_server[1]
        alone = call(urls[1], "/api/chat", {"message": TURNS[1]})[1]["answer"]
        assert alone != one_server[1]  # a follow-up means something only in its conversation
        assert converse(urls) == one_server  # turns alternating between the two servers
        statuses: list[int] = []
        while not statuses or statuses[-1] == 200:
            statuses.append(call(urls[len(statuses) % 2], "/api/chat", {"message": TURNS[0]})[0])
            assert len(statuses) < 2 * LIMIT, "each server kept a limit of its own"
        allowed = 2 * len(TURNS) + 1 + len(statuses) - 1
        refilled = (time.monotonic() - first) * LIMIT / 60  # tokens a bucket regained meanwhile
        assert statuses[-1] == 429 and LIMIT <= allowed <= LIMIT + refilled + 1 < 2 * LIMIT


def test_workers_share_conversations(ingested: dict[str, str], tmp_path: Path) -> None:
    with serving(tmp_path / "serve", ingested, free_port(), workers=2) as urls:
        for _ in range(3):  # each request may reach either worker
            answers = converse(urls)
            assert "2.28" in answers[0] and "0.02" in answers[1]

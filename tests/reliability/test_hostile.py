"""Hostile PDFs made here (tests/hostile.py): each ends as a clear error within its limit,
nothing is stored, and a running server keeps its memory and answers /api/health at once
while they are processed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import HERE, ROOT

from ingest import Store
from ingest.limits import Limits
from ingest.pipeline import ingest_file
from ingest.worker import isolated
from tests import hostile
from tests.conftest import SEED

pytestmark = pytest.mark.slow

CASES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("rectangles.pdf", hostile.rectangle_bomb, "draws more than 50,000 objects"),
    ("deflate.pdf", hostile.deflate_bomb, "inflate to more than 100 MB"),
    ("pages.pdf", hostile.many_pages, "more than 500 pages"),
    ("encrypted.pdf", hostile.encrypted, "encrypted with a password"),
    ("script.pdf", hostile.with_javascript, "no text layer"),
]


@pytest.mark.parametrize(("name", "make", "message"), CASES)
def test_a_hostile_pdf_is_refused_quickly_and_stores_nothing(
        name: str, make: Callable[[Path], Path], message: str, tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    started = time.perf_counter()
    result = ingest_file(make(tmp_path / name), store, parse=isolated(Limits()))
    assert message in result.error and time.perf_counter() - started < 15, result.error
    assert store.documents() == [] and store.generation() == 0


def test_the_time_and_memory_limits_stop_what_the_structure_check_lets_through(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    unchecked = Limits(max_page_objects=10**9, max_inflated_mb=10**6, max_seconds=3, max_memory_mb=300)
    started = time.perf_counter()
    slow = ingest_file(hostile.rectangle_bomb(tmp_path / "r.pdf"), store, parse=isolated(unchecked))
    assert "longer than 3 s" in slow.error and time.perf_counter() - started < 6, slow.error
    unchecked = Limits(max_page_objects=10**9, max_inflated_mb=10**6, max_seconds=60, max_memory_mb=300)
    big = ingest_file(hostile.deflate_bomb(tmp_path / "d.pdf", 150), store, parse=isolated(unchecked))
    assert "more than 300 MB of memory" in big.error, big.error
    assert store.documents() == []


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "BUDGETQA_MAX_PARSE_SECONDS": "5", "BUDGETQA_MAX_PAGE_OBJECTS": "1000000000"}
    process = subprocess.Popen([sys.executable, str(HERE / "serve_app.py"), str(tmp_path / "data"), str(port),
                                "token"], cwd=ROOT, env=env, text=True, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    yield base, process
    process.kill()
    process.wait()


def _job(client: httpx.Client, name: str, data: bytes) -> dict:  # type: ignore[type-arg]
    r = client.post("/api/documents", files={"file": (name, data)})
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(r.headers["Location"]).json()
        if job["status"] in ("done", "failed"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"{name}: the job did not end")


def test_the_server_stays_small_and_responsive_under_hostile_uploads(
        server: tuple[str, subprocess.Popen[str]], tmp_path: Path) -> None:
    base, process = server
    client = httpx.Client(base_url=base, headers={"Authorization": "Bearer token"}, timeout=30)
    assert _job(client, SEED.name, SEED.read_bytes())["status"] == "done"  # warmed up: parse, save, reload
    before = _rss_mb(process.pid)
    latencies: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=base, timeout=10) as health:
            while not stop.is_set():
                started = time.perf_counter()
                assert health.get("/api/health").status_code == 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    expected = {name: message for name, _, message in CASES}
    expected["rectangles.pdf"] = "longer than 5 s"  # this server counts no objects: its clock stops it
    try:
        for name, make, _ in CASES:
            job = _job(client, name, make(tmp_path / name).read_bytes())
            assert job["status"] == "failed" and expected[name] in job["error"], job
    finally:
        stop.set()
        prober.join()
    grown = _rss_mb(process.pid) - before
    print(f"server RSS {before:.0f} MB, grew {grown:.1f} MB; /api/health max {max(latencies) * 1000:.0f} ms "
          f"over {len(latencies)} probes")
    assert grown < 100 and max(latencies) < 0.2 and len(latencies) > 20
    assert [d["title"] for d in client.get("/api/documents").json()] == ["和静县社会保险中心2024年单位预算公开"]

"""`budget-qa serve --workers 2` for real: one embedding model in the process tree (the service),
both workers answer prose through it, and a killed service is restarted; meanwhile prose is a
503 with a message and figures are answered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, SEED
from tests.reliability.test_operating_processes import _port

pytestmark = pytest.mark.slow
PROSE = ["三公经费为什么增加了？", "为什么要压减一般性支出？", "机关运行经费为什么减少？", "政府采购情况怎么样？"]
FIGURE = "卫生健康支出是多少？"


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")) / 1024


def _has_torch(pid: int) -> bool:
    return "libtorch" in Path(f"/proc/{pid}/maps").read_text()


def _tree(pid: int) -> tuple[list[int], list[int]]:
    """The serve process's embedding services and its workers."""
    kids = _children(pid)
    return ([k for k in kids if "ingest.embed_service" in _cmdline(k)],
            [k for k in kids if "spawn_main" in _cmdline(k)])


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    data = tmp_path_factory.mktemp("serve") / "data"
    cli = [sys.executable, "-m", "budget_qa_cli", "--data-dir", str(data)]
    subprocess.run([*cli, "ingest", str(SEED)], cwd=ROOT, check=True, capture_output=True, timeout=300)
    port = _port()
    env = {**os.environ, "BUDGETQA_RATE_LIMIT_PER_MINUTE": "0"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.pop("BUDGETQA_EMBED_SOCKET", None)
    process = subprocess.Popen([*cli, "serve", "--port", str(port), "--workers", "2"], cwd=ROOT, env=env,
                               text=True, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/health").status_code == 200 and len(_tree(process.pid)[1]) == 2:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    yield base, process
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(60)


def _ask(base: str, message: str) -> httpx.Response:
    with httpx.Client(base_url=base, timeout=120) as one:  # a new connection: either worker may take it
        return one.post("/api/chat", json={"message": message})


def test_two_workers_answer_prose_through_one_model(serving: tuple[str, subprocess.Popen[str]]) -> None:
    base, process = serving
    for i in range(12):
        r = _ask(base, PROSE[i % len(PROSE)])
        assert r.status_code == 200 and r.json()["status"] == "answered", r.text
    [service], workers = _tree(process.pid)
    assert len(workers) == 2
    assert _has_torch(service) and not any(_has_torch(w) for w in workers)
    # each worker warmed its engine up through the service, and keeps that connection open
    sockets = [f for f in Path(f"/proc/{service}/fd").iterdir() if os.readlink(f).startswith("socket:")]
    assert len(sockets) >= 1 + 2
    assert all(_rss_mb(w) < _rss_mb(service) for w in workers), [_rss_mb(p) for p in (service, *workers)]


def test_a_killed_service_is_restarted_and_figures_are_answered_meanwhile(
        serving: tuple[str, subprocess.Popen[str]]) -> None:
    base, process = serving
    [service], _ = _tree(process.pid)
    os.kill(service, signal.SIGKILL)
    r = _ask(base, "这是服务停止后的新文字问题，为什么？")
    assert r.status_code == 503 and "检索服务暂时不可用" in r.json()["detail"]
    r = _ask(base, FIGURE)
    assert r.status_code == 200 and r.json()["status"] == "answered"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        r = _ask(base, "重启之后的文字问题：三公经费为什么增加了？")
        if r.status_code == 200:
            break
        time.sleep(1)
    assert r.status_code == 200, r.text
    [again], _ = _tree(process.pid)
    assert again != service

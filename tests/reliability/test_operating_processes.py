"""Operating it for real, in processes of their own: a backup taken while 20 clients ask and
restored into a new dir (same facts, same answers to the visible gold sets, vectors rebuilt);
an upload cut off by SIGTERM ends `interrupted` or done after the restart, never `running`;
/metrics of `serve --workers 2` sums what both workers counted."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ingest import Settings, Store, ingest_paths
from ingest.backup import backup, restore
from ingest.check import check_store
from qa import Conversation, Engine
from tests.conftest import CORPUS, ROOT, SEED
from tests.reliability.conftest import HERE, reopen

pytestmark = pytest.mark.slow
GOLD = ROOT.parent / "shared" / "eval"
BIG_PDF = CORPUS / "real" / "sh_2024_pt_caizhengju_final.pdf"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(data: Path, port: int, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, str(HERE / "serve_app.py"), str(data), str(port), "token"],
                               cwd=ROOT, env={**os.environ, **(env or {})}, text=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("the server did not start")


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    store = reopen(tmp_path / "data")
    assert not [r.error for r in ingest_paths([SEED], store) if r.error]
    store.close()
    return tmp_path / "data"


def _answers(store: Store) -> list[str]:
    engine, out = Engine(store), []
    for line in (GOLD / "seed_qa.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        conv = Conversation()
        out += [json.dumps(engine.answer(turn, conv).to_json(), ensure_ascii=False) for turn in item["turns"]]
    return out


def _wait_for_logged(db: Path, seconds: float = 30.0) -> None:
    """Until the server's question log holds a row (a loaded machine flushes it later than 2 s)."""
    import sqlite3

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(1)
        with sqlite3.connect(db, timeout=10) as conn:
            try:
                if conn.execute("SELECT COUNT(*) FROM question_log").fetchone()[0]:
                    return
            except sqlite3.OperationalError:  # the table is made with the first batch
                continue
    raise AssertionError("no question was logged")


def test_a_backup_while_20_clients_ask_restores_the_same_store(seeded: Path, tmp_path: Path) -> None:
    port = _port()
    server = _start(seeded, port)
    stop, answered, failed = threading.Event(), [0], [0]

    def client() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            while not stop.is_set():
                r = http.post("/api/chat", json={"message": "三公经费是多少？"})
                answered[0] += r.status_code == 200
                failed[0] += r.status_code != 200

    threads = [threading.Thread(target=client) for _ in range(20)]
    try:
        for t in threads:
            t.start()
        _wait_for_logged(seeded / "budgetqa.sqlite")  # the log is written off the request path, in batches
        manifest = backup(Settings(data_dir=seeded), tmp_path / "backup")  # the server writes meanwhile
        time.sleep(1)
    finally:
        stop.set()
        for t in threads:
            t.join()
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    assert answered[0] > 20 and failed[0] == 0
    assert manifest["counts"]["question_log"] >= 1 and "conversations" not in manifest["counts"]
    restore(tmp_path / "backup", Settings(data_dir=tmp_path / "restored"))
    original, restored = Store(seeded), reopen(tmp_path / "restored")  # vectors rebuilt on open
    assert restored.facts() == original.facts() and restored.documents() == original.documents()
    assert check_store(restored).ok and restored.vectors is not None and restored.vectors.ids()
    assert _answers(restored) == _answers(original)


def test_an_upload_cut_off_by_sigterm_is_never_running_after_the_restart(tmp_path: Path) -> None:
    data, port = tmp_path / "data", _port()
    server = _start(data, port)
    base = f"http://127.0.0.1:{port}"
    staff = {"Authorization": "Bearer token"}
    r = httpx.post(base + "/api/documents", files={"file": (BIG_PDF.name, BIG_PDF.read_bytes())}, headers=staff)
    assert r.status_code == 202
    job_url = base + r.headers["Location"]
    deadline = time.monotonic() + 60
    while httpx.get(job_url).json()["status"] == "queued" and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(3)
    server.send_signal(signal.SIGTERM)
    server.wait(60)
    server = _start(data, port)
    try:
        job = httpx.get(job_url).json()
        print("after the restart:", job["status"], job["error"], job["pages_done"], "/", job["pages_total"])
        assert job["status"] in ("interrupted", "done"), job
        if job["status"] == "interrupted":
            stored = bool(httpx.get(base + "/api/documents").json())
            assert ("已经存入" in job["error"]) == stored, job
        activity = httpx.get(base + "/api/activity", headers=staff).json()
        assert activity[0]["action"] == "upload" and activity[0]["result"] == job["status"]
    finally:
        server.kill()
        server.wait()


@pytest.fixture
def two_workers(seeded: Path) -> Iterator[str]:
    port = _port()
    cli = Path(sys.executable).parent / "budget-qa"
    env = {**os.environ, "BUDGETQA_RATE_LIMIT_PER_MINUTE": "0"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen([str(cli), "--data-dir", str(seeded), "serve", "--port", str(port), "--workers", "2",
                                "--log-format", "json"], env=env, text=True,
                               stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.5)
    yield base
    os.killpg(process.pid, signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    lines = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    assert any(x["logger"] == "budgetqa.access" and len(x["request_id"]) == 32 for x in lines)


def test_metrics_of_two_workers_are_summed_and_parse(two_workers: str) -> None:
    asked = 40
    with httpx.Client(base_url=two_workers, timeout=60) as http:
        for _ in range(asked):  # new connections: both workers take some
            with httpx.Client(base_url=two_workers, timeout=60) as one:
                r = one.post("/api/chat", json={"message": "三公经费是多少？"})
                assert r.status_code == 200
        text = http.get("/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    chats = sum(s.value for s in families["budgetqa_http_requests"].samples
                if s.name.endswith("_total") and s.labels.get("route") == "/api/chat")
    assert chats == asked
    assert sum(s.value for s in families["budgetqa_replies"].samples if s.name.endswith("_total")) == asked
    assert next(s.value for s in families["budgetqa_documents"].samples) == 1

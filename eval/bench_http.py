"""A `budget-qa serve` process measured from outside: start to first answered chat, memory of
its process tree (/proc), questions over HTTP, and C concurrent clients for T seconds."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from eval.bench_questions import Outcome, Question, judge


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_supports_workers(cli: Path) -> bool:
    """`--workers` is being added on another branch; until it lands the bench runs one."""
    out = subprocess.run([str(cli), "serve", "--help"], capture_output=True, text=True, check=False)
    return "--workers" in out.stdout


def tree_rss(pid: int) -> dict[int, tuple[str, float]]:
    """Each process of a tree (uvicorn's workers, the embedding service) with its role and
    resident memory in MB: the root is `main`, a process uvicorn spawned a `worker`."""
    out: dict[int, tuple[str, float]] = {}
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue  # gone meanwhile, or a kernel thread
        role = "main" if p == pid else "worker" if "spawn_main" in cmd and "resource_tracker" not in cmd else \
            "embedding service" if "embed" in cmd else "other"
        out[p] = (role, kb / 1024)
    return out


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    return sum(mb for _, mb in tree_rss(pid).values())


def worker_rss_mb(pid: int) -> dict[str, float]:
    """The largest process answering questions (the root when it has no workers of its own)
    and the sum of the rest, in MB."""
    tree = tree_rss(pid)
    workers = [mb for role, mb in tree.values() if role == "worker"] or [tree[pid][1] if pid in tree else 0.0]
    return {"worker_mb": round(max(workers)), "worker_processes": len(workers),
            "others_mb": round(sum(mb for _, mb in tree.values()) - sum(workers))}


class Server:
    """`budget-qa --data-dir D serve` on a free port, with a thread sampling its memory."""

    def __init__(self, cli: Path, data_dir: Path, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [str(cli), "--data-dir", str(data_dir), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if workers > 1:
            cmd += ["--workers", str(workers)]
        # The bench is one client IP asking thousands of questions: the per-IP limit is off.
        env = {**os.environ, "BUDGETQA_RATE_LIMIT_PER_MINUTE": "0", **env}
        self._log = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self.proc.pid))

    def rss_mb(self) -> float:
        return tree_rss_mb(self.proc.pid)

    def first_answer(self, message: str, timeout: float = 900.0) -> float:
        """Seconds from the process start until a chat question is answered (the engine loads
        on the first request)."""
        deadline = self.started + timeout
        with httpx.Client(timeout=timeout) as client:
            while time.perf_counter() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self._log.name}")
                try:
                    r = client.post(f"{self.url}/api/chat", json={"message": message})
                    if r.status_code == 200:
                        return time.perf_counter() - self.started
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"no answer within {timeout:.0f} s; see {self._log.name}")

    def stop(self) -> None:
        self._stop.set()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


def ask(client: httpx.Client, url: str, q: Question,
        conversation_id: str | None = None) -> tuple[dict[str, Any] | None, float, str]:
    body: dict[str, Any] = {"message": q.message}
    if q.doc_id:
        body["doc_id"] = q.doc_id
    if conversation_id:
        body["conversation_id"] = conversation_id
    started = time.perf_counter()
    try:
        r = client.post(f"{url}/api/chat", json=body)
    except httpx.HTTPError as exc:
        return None, time.perf_counter() - started, type(exc).__name__
    seconds = time.perf_counter() - started
    if r.status_code != 200:
        return None, seconds, f"HTTP {r.status_code}"
    return r.json(), seconds, ""


def ask_all(url: str, questions: list[Question], units: list[str],
            progress: Callable[[int], None] | None = None) -> list[Outcome]:
    """One client, one question at a time: latency without queueing."""
    out = []
    with httpx.Client(timeout=300) as client:
        for i, q in enumerate(questions):
            reply, seconds, error = ask(client, url, q)
            out.append(judge(q, reply, seconds, units) if reply else Outcome(q, seconds, error=error))
            if progress:
                progress(i + 1)
    return out


@dataclass(frozen=True)
class Load:
    clients: int
    seconds: float
    workers: int
    requests: int
    errors: int
    latencies: tuple[float, ...]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def merged(loads: list[Load]) -> Load:
    """Rounds of one level as one: their requests, errors and latencies over their time."""
    first = loads[0]
    return Load(first.clients, sum(r.seconds for r in loads), first.workers, sum(r.requests for r in loads),
                sum(r.errors for r in loads), tuple(t for r in loads for t in r.latencies))


Conversation = list[Question]  # its turns, in order: each after the reply to the one before


def load(url: str, conversations: list[Conversation], clients: int, seconds: float, workers: int) -> Load:
    """`clients` threads, each going through the conversations round-robin (from its own
    offset), a turn at a time, for `seconds`; every request counts, errors too."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    end = time.perf_counter() + seconds

    def client(offset: int) -> None:
        with httpx.Client(timeout=60) as http:
            i = offset
            while time.perf_counter() < end:
                cid = None
                for turn in conversations[i % len(conversations)]:
                    reply, took, error = ask(http, url, turn, cid)
                    cid = (reply or {}).get("conversation_id")
                    with lock:
                        latencies.append(took)
                        errors[0] += bool(error)
                    if time.perf_counter() >= end:
                        break
                i += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k * 7,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Load(clients, time.perf_counter() - started, workers, len(latencies), errors[0], tuple(latencies))

"""Where the benchmark's store lives: SQLite + embedded Chroma under the data dir (nothing to
start), or PostgreSQL + a Chroma server started here, given to budget-qa through
BUDGETQA_DATABASE_URL / BUDGETQA_CHROMA_URL.

The PostgreSQL path runs the way the server-mode tests will: a cluster made by initdb and
run by pg_ctl from /usr/lib/postgresql/*/bin as the postgres user (we run as root), and
`chroma run --path DIR --port P` from the installed chromadb. It cannot be exercised until
the PostgreSQL store is merged; it is kept to this module."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from eval.bench_http import free_port


@contextlib.contextmanager
def backend_env(backend: str, home: Path) -> Iterator[dict[str, str]]:
    """The environment budget-qa needs for this backend, its servers running meanwhile.
    `home` keeps the backend's files, so a --reuse run finds them again."""
    if backend == "sqlite":
        yield {}
        return
    if backend != "postgres":
        raise ValueError(f"unknown backend {backend!r} (sqlite or postgres)")
    with _postgres(home / "pg") as db_url, _chroma(home / "chroma") as chroma_url:
        yield {"BUDGETQA_DATABASE_URL": db_url, "BUDGETQA_CHROMA_URL": chroma_url}


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    return found[-1]


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextlib.contextmanager
def _postgres(folder: Path) -> Iterator[str]:
    data, port = folder / "data", free_port()
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    if not (data / "PG_VERSION").exists():
        subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                     "-E", "UTF8", "--locale=C"]), check=True, capture_output=True)
    opts = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(data), "-o", opts, "-l", str(folder / "log"),
                                 "-w", "start"]), check=True, capture_output=True)
    try:
        subprocess.run(_as_postgres([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                     "budgetqa"]), check=False, capture_output=True)  # exists on reuse
        yield f"postgresql://postgres@127.0.0.1:{port}/budgetqa"
    finally:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       check=False, capture_output=True)


@contextlib.contextmanager
def _chroma(folder: Path) -> Iterator[str]:
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    chroma = Path(sys.executable).parent / "chroma"
    with open(folder / "server.log", "w") as log:
        proc = subprocess.Popen([str(chroma), "run", "--path", str(folder), "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                        break
                time.sleep(0.3)
            else:
                raise RuntimeError(f"chroma run did not answer; see {folder / 'server.log'}")
            yield url
        finally:
            proc.terminate()
            proc.wait(20)

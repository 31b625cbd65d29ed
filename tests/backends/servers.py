"""Real servers for the backend tests, started in temp dirs on free ports: a PostgreSQL
cluster from Debian's `postgresql` (initdb, pg_ctl) and a Chroma server (`chroma run`
from the installed chromadb).

PostgreSQL refuses to run as root; as root (CI) the cluster belongs to the `postgres`
system user (or `nobody`) and its commands run through `runuser`; as anyone else they run
as that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "budgetqa"  # the cluster's superuser (initdb -U); trust authentication, local only


class Unavailable(Exception):
    """The server could not be started here; the message says why."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not found:
        raise Unavailable("Debian's postgresql is not installed (apt-get install postgresql)")
    return found[-1].parent


@dataclass
class Postgres:
    folder: Path
    port: int
    run_as: list[str]
    bin: Path

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run([*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"),
                        "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> Postgres:
    """A new cluster in a temp dir (its unix socket there too), listening on 127.0.0.1 at a
    free port; durability off, it only lives for the tests."""
    bin_dir = _pg_bin()
    folder = Path(tempfile.mkdtemp(prefix="budgetqa-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = next((u for u in ("postgres", "nobody") if _exists(u)), None)
        if user is None or shutil.which("runuser") is None:
            raise Unavailable("running as root, with no `postgres` user or no runuser to run PostgreSQL as")
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        run_as = ["runuser", "-u", user, "--"]
    server = Postgres(folder, free_port(), run_as, bin_dir)
    data, log = folder / "data", folder / "server.log"
    _run([*run_as, str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust",
          "-E", "UTF8", "--no-locale", "--no-sync"], "initdb")
    options = (f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    try:
        _run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
              "-w", "-t", "60", "start"], "pg_ctl start")
    except Unavailable as exc:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise Unavailable(f"{exc}\n{tail}") from None
    return server


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise Unavailable(f"{what} failed ({done.returncode}): {done.stderr[-2000:] or done.stdout[-2000:]}")


@dataclass
class Chroma:
    process: subprocess.Popen[bytes]
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_chroma(seconds: float = 60.0) -> Chroma:
    """`chroma run` on a free port over a temp dir, once its heartbeat answers."""
    binary = Path(sys.executable).parent / "chroma"
    if not binary.exists():
        raise Unavailable(f"no chroma command beside {sys.executable} (is chromadb installed?)")
    folder = Path(tempfile.mkdtemp(prefix="budgetqa-chroma-"))
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen([str(binary), "run", "--path", str(folder / "data"), "--host", "127.0.0.1",
                                "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    server = Chroma(process, folder, port)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{server.url}/api/v2/heartbeat", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    output = (folder / "server.log").read_text(errors="replace")[-2000:]
    server.stop()
    raise Unavailable(f"chroma run did not answer within {seconds:.0f} s:\n{output}")

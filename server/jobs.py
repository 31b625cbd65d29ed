"""Ingest jobs: an upload is queued and answered at once (202); one background thread
ingests the queue in order, the parse itself in a limited child process (ingest.worker),
so no request waits for a file and no file can stall or bloat the server.

The queue is this process's (the uploaded file is on its disk); the jobs' records are in
the database, so whichever worker a client's `GET /api/jobs/{id}` reaches can answer it.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import HTTPException

from ingest.db import Database, SQLiteDatabase
from server.schemas import UploadResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, file TEXT NOT NULL, status TEXT NOT NULL,
  pages_done INTEGER NOT NULL, pages_total INTEGER NOT NULL, result TEXT, error TEXT NOT NULL,
  created DOUBLE PRECISION NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created);
"""
ADDED = ("owner TEXT", "who TEXT", "sha256 TEXT")  # columns later versions added
PROGRESS_SECONDS = 0.5  # at most this often a job's pages read are written down
UNFINISHED = ("queued", "running")


@dataclass
class Job:
    job_id: str
    file: str
    status: str = "queued"  # queued → running → done | failed; interrupted by a restart
    pages_done: int = 0
    pages_total: int = 0
    result: Any = None  # an UploadResult once done
    error: str = ""
    created: float = field(default_factory=time.time)
    who: str = ""
    sha256: str = ""
    owner: str = field(default_factory=lambda: owner())


def owner() -> str:
    """This process, as a job's owner: a job of a dead owner is no longer running."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Jobs:
    """A bounded queue (`waiting` files at most: 429 past it) and the records of the latest
    `keep` jobs of every worker."""

    def __init__(self, run: Callable[[Job, Path], None], keep: int = 200, waiting: int = 20,
                 db: Database | None = None, on_end: Callable[[Job], None] | None = None) -> None:
        self._run, self.keep, self._on_end = run, keep, on_end
        self.db = db or SQLiteDatabase(":memory:")
        self.db.apply_schema(SCHEMA, _migrate)
        self._queue: queue.Queue[tuple[Job, Path]] = queue.Queue(maxsize=waiting)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._written: dict[str, float] = {}  # job → when its progress was last written

    def submit(self, file: str, path: Path, who: str = "", sha256: str = "") -> Job:
        job = Job(uuid.uuid4().hex, file, who=who, sha256=sha256)
        self._insert(job)  # before the worker can see it
        try:
            self._queue.put_nowait((job, path))
        except queue.Full:
            self.db.execute("DELETE FROM jobs WHERE job_id=?", (job.job_id,))
            raise HTTPException(429, f"导入队列已满（{self._queue.maxsize} 个文件等待中），请稍后再试",
                                headers={"Retry-After": "30"}) from None
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="ingest-jobs", daemon=True)
                self._thread.start()
        return job

    def get(self, job_id: str) -> Job | None:
        row = self.db.execute("SELECT job_id, file, status, pages_done, pages_total, result, error, created, "
                              "who, sha256, owner FROM jobs WHERE job_id=?", (job_id,)).fetchone()
        if row is None:
            return None
        result = UploadResult.model_validate(json.loads(row[5])) if row[5] else None
        return Job(row[0], row[1], row[2], row[3], row[4], result, row[6], row[7], row[8] or "", row[9] or "",
                   row[10] or "")

    def recover(self) -> int:
        """Jobs that a process of this machine left queued or running when it died (a restart,
        a kill) end `interrupted`, saying whether their file was stored; how many."""
        host, me = socket.gethostname(), os.getpid()
        ended = 0
        for job_id, who in self.db.execute(f"SELECT job_id, owner FROM jobs WHERE status IN "
                                           f"({','.join('?' * len(UNFINISHED))})", UNFINISHED).fetchall():
            name, _, pid = (who or ":").rpartition(":")
            if not who or (name == host and (not pid.isdigit() or int(pid) == me or not _alive(int(pid)))):
                ended += self._interrupt(job_id)
        return ended

    def interrupt_own(self) -> int:
        """At shutdown: this process's queued and running jobs will not finish here."""
        rows = self.db.execute(f"SELECT job_id FROM jobs WHERE owner=? AND status IN "
                               f"({','.join('?' * len(UNFINISHED))})", (owner(), *UNFINISHED)).fetchall()
        return sum(self._interrupt(r[0]) for r in rows)

    def _interrupt(self, job_id: str) -> int:
        job = self.get(job_id)
        if job is None or job.status not in UNFINISHED:
            return 0
        doc_id = self._stored(job.sha256)
        job.status = "interrupted"
        job.error = (f"导入被服务器重启打断；文件已经存入（doc_id {doc_id}），无需重传" if doc_id else
                     "导入被服务器重启打断，文件未存入：请重新上传")
        self.save(job)
        if self._on_end is not None:
            self._on_end(job)
        return 1

    def _stored(self, sha256: str) -> str | None:
        if not sha256 or "files" not in self.db.names():
            return None
        row = self.db.execute("SELECT doc_id FROM files WHERE sha256=?", (sha256,)).fetchone()
        return str(row[0]) if row else None

    def progress(self, job: Job, done: int, total: int) -> None:
        """Pages read so far; written down now and then, and at the last page."""
        job.pages_done, job.pages_total = done, total
        now = time.monotonic()
        if done >= total or now - self._written.get(job.job_id, 0.0) >= PROGRESS_SECONDS:
            self._written[job.job_id] = now
            self.save(job)

    def save(self, job: Job) -> None:
        result = job.result.model_dump_json() if isinstance(job.result, UploadResult) else None
        self.db.execute("UPDATE jobs SET status=?, pages_done=?, pages_total=?, result=?, error=? "
                        "WHERE job_id=?", (job.status, job.pages_done, job.pages_total, result,
                                           job.error, job.job_id))

    def idle(self) -> bool:
        return self._queue.unfinished_tasks == 0

    def _insert(self, job: Job) -> None:
        with self.db.transaction() as db:
            db.execute("INSERT INTO jobs (job_id, file, status, pages_done, pages_total, result, error, "
                       "created, who, sha256, owner) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)",
                       (job.job_id, job.file, job.status, job.pages_done, job.pages_total, job.error,
                        job.created, job.who, job.sha256, job.owner))
            db.execute("DELETE FROM jobs WHERE created < (SELECT created FROM jobs ORDER BY created DESC "
                       "LIMIT 1 OFFSET ?)", (self.keep - 1,))

    def _work(self) -> None:
        while True:
            job, path = self._queue.get()
            job.status = "running"
            try:
                self.save(job)
                self._run(job, path)
            except Exception as exc:  # the job reports it; the queue goes on
                job.status, job.error = "failed", f"未导入：{exc}"
            finally:
                self._written.pop(job.job_id, None)
                try:
                    self.save(job)
                    if self._on_end is not None:
                        self._on_end(job)
                finally:
                    self._queue.task_done()


def _migrate(db: Database) -> None:
    have = db.columns("jobs")
    for column in ADDED:
        if column.split()[0] not in have:
            db.execute(f"ALTER TABLE jobs ADD COLUMN {column}")

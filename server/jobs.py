"""Ingest jobs: an upload is queued and answered at once (202); one background thread
ingests the queue in order, the parse itself in a limited child process (ingest.worker),
so no request waits for a file and no file can stall or bloat the server."""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import HTTPException


@dataclass
class Job:
    job_id: str
    file: str
    status: str = "queued"  # queued → running → done | failed
    pages_done: int = 0
    pages_total: int = 0
    result: Any = None  # an UploadResult once done
    error: str = ""
    created: float = field(default_factory=time.time)


class Jobs:
    """A bounded queue (`waiting` files at most: 429 past it) and the latest `keep` jobs."""

    def __init__(self, run: Callable[[Job, Path], None], keep: int = 200, waiting: int = 20) -> None:
        self._run, self.keep = run, keep
        self._queue: queue.Queue[tuple[Job, Path]] = queue.Queue(maxsize=waiting)
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, file: str, path: Path) -> Job:
        job = Job(uuid.uuid4().hex, file)
        try:
            self._queue.put_nowait((job, path))
        except queue.Full:
            raise HTTPException(429, f"导入队列已满（{self._queue.maxsize} 个文件等待中），请稍后再试",
                                headers={"Retry-After": "30"}) from None
        with self._lock:
            self._jobs[job.job_id] = job
            while len(self._jobs) > self.keep:
                self._jobs.popitem(last=False)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="ingest-jobs", daemon=True)
                self._thread.start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def idle(self) -> bool:
        return self._queue.unfinished_tasks == 0

    def _work(self) -> None:
        while True:
            job, path = self._queue.get()
            job.status = "running"
            try:
                self._run(job, path)
            except Exception as exc:  # the job reports it; the queue goes on
                job.status, job.error = "failed", f"未导入：{exc}"
            finally:
                self._queue.task_done()

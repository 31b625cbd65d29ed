"""What the routes share (the engine, conversations, limits) and the named dependencies."""

from __future__ import annotations

import math
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ingest.db import SQLITE_FILE, connect, is_postgres
from ingest.ddl import ensure_schema
from ingest.errors import StoreError
from ingest.store import Store
from qa.engine import Engine
from server.jobs import Job, Jobs
from server.limits import Conversations, RateLimiter
from server.observe import instruments
from server.questionlog import QuestionLog
from server.review import EmbeddingCache, wording
from server.settings import ServerSettings
from server.staff import ADMIN, StaffAccounts
from server.upload import run_upload

WATCH_SECONDS = 1.0  # how often a request looks at the store's generation


class Services:
    """One per app. The engine answers from memory; its SQLite connection is shared by the
    worker threads, so a route's store reads go through `store_lock`. Writes use their own
    connection (WAL: they never block these reads). Whoever writes the data dir (an upload,
    the CLI, another server), the store's generation changes and a new engine is loaded
    in the background while the old one keeps answering."""

    def __init__(self, settings: ServerSettings, make_engine: Callable[[], Engine]) -> None:
        self.settings = settings
        # Conversations, rate limits and jobs in the database, shared by every worker process.
        self.state = connect(settings.database_url, Path(settings.data_dir))
        ensure_schema(self.state)  # the activity record and taught wordings are the store's tables
        self.conversations = Conversations(settings.max_conversations, settings.conversation_ttl,
                                           db=self.state)
        self.limiter = RateLimiter(settings.rate_limit_per_minute, db=self.state)
        self.answering = CapacityLimiter(settings.answer_threads)
        self.staff = StaffAccounts(self.state)
        self.questions = QuestionLog(self.state, (settings.database_url, Path(settings.data_dir)),
                                     settings.log_questions, settings.log_days, wording,
                                     on_drop=lambda: instruments().log_dropped.inc())
        self._database_file = None if is_postgres(settings.database_url) else Path(settings.data_dir) / SQLITE_FILE
        self._file_identity = _identity(self._database_file)
        self.store_lock = threading.RLock()
        # Uploads wait here for their ingest, a folder per worker process; what a killed
        # server left behind goes now, and never a live worker's.
        self.upload_dir = Path(settings.data_dir) / "uploads" / str(os.getpid())
        _clear_uploads(self.upload_dir.parent)
        self._make_engine = make_engine
        self._engine: Engine | None = None
        self._generation, self._checked = -1, 0.0
        self._reload_lock = threading.Lock()
        self._reloading = threading.Event()
        self.jobs = Jobs(lambda job, path: run_upload(job, path, self), db=self.state, on_end=self._job_ended)
        self.jobs.recover()
        self._embeddings: EmbeddingCache | None = None

    def engine(self) -> Engine:
        if self._engine is None:
            with self.store_lock:
                if self._engine is None:
                    make = self._make_engine
                    self._use(make(), None)
        assert self._engine is not None
        self._watch(self._engine)
        return self._engine

    @property
    def store(self) -> Store:
        return self.engine().store

    def writer(self) -> Store:
        """A store of its own for one write (an ingest, a delete), with the engine's vectors;
        refused while the database file is missing or replaced (never a silent new store)."""
        self.require_writable()
        engine = self.engine()
        return Store(engine.store.data_dir, engine.vectors, database_url=engine.store.database_url)

    def problem(self) -> str | None:
        """Why the server is degraded: its SQLite file was removed or replaced under it."""
        if self._database_file is None:
            return None
        now = _identity(self._database_file)
        if now is None:
            return (f"数据库文件 {self._database_file} 已被删除：服务器仍按内存中的数据回答，"
                    "但拒绝一切写入；请恢复该文件或重启")
        if now != self._file_identity:
            return f"数据库文件 {self._database_file} 已被替换：服务器拒绝一切写入；请重启服务器以使用新文件"
        return None

    def require_writable(self) -> None:
        problem = self.problem()
        instruments().degraded.set(1 if problem else 0)
        if problem:
            raise StoreError(problem)

    def record(self, who: str, action: str, target: str, result: str, detail: dict | None = None) -> None:  # type: ignore[type-arg]
        """A line of the activity record (the database the facts are in)."""
        self.require_writable()
        from ingest.records import record_activity

        record_activity(self.state, who, action, target, result, detail)

    def embed(self) -> EmbeddingCache | None:
        """Wordings' vectors for grouping near-duplicate questions, with the engine's model."""
        embed = getattr(self.engine().vectors, "embed_texts", None)
        if embed is None:
            return None
        if self._embeddings is None:
            self._embeddings = EmbeddingCache(embed)
        return self._embeddings

    def _job_ended(self, job: Job) -> None:
        instruments().jobs.labels(job.status).inc()
        result = job.result
        detail = {"file": job.file, "sha256": job.sha256, "job_id": job.job_id,
                  "doc_id": getattr(result, "doc_id", ""), "error": job.error or None}
        outcome = "unchanged" if getattr(result, "unchanged", False) else job.status
        try:
            self.record(job.who, "upload", job.file, outcome, detail)
        except StoreError:
            pass  # degraded: nothing can be recorded, and the job says why it failed

    def close(self) -> None:
        """At shutdown: the log written out, this process's unfinished jobs interrupted."""
        self.questions.flush()
        self.jobs.interrupt_own()

    def reload(self) -> None:
        """Swap in an engine over the store's current content, read as one snapshot through
        a connection of its own; answers in flight keep the engine they started with."""
        with self._reload_lock:
            old = self.engine()
            store = Store(old.store.data_dir, old.vectors, database_url=old.store.database_url)
            with store.snapshot():
                generation = store.generation()
                engine = Engine(store, old.vectors, old.polisher, old.chooser)
            engine.docs_in_memory = old.docs_in_memory
            self._use(engine, generation)

    def _watch(self, engine: Engine) -> None:
        now = time.monotonic()
        if now - self._checked < WATCH_SECONDS or self._reloading.is_set():
            return
        self._checked = now
        with self.store_lock:
            generation = engine.store.generation()
        if generation != self._generation:
            self._reloading.set()
            threading.Thread(target=self._reload_in_background, daemon=True).start()

    def _reload_in_background(self) -> None:
        """Another process wrote the store: its vectors too, which an embedded Chroma only
        sees once reopened."""
        try:
            reopen = getattr(self.engine().vectors, "reopen", None)
            if reopen is not None:
                reopen()
            self.reload()
        finally:
            self._reloading.clear()

    def _use(self, engine: Engine, generation: int | None) -> None:
        if generation is None:  # a write while the first engine loaded shows at the next write
            generation = engine.store.generation()
        if self._engine is not None:
            instruments().reloads.inc()
        self._engine, self._generation = engine, generation
        instruments().documents.set(len(engine.documents))
        instruments().generation.set(generation)


def _identity(path: Path | None) -> tuple[int, int] | None:
    try:
        st = path.stat() if path is not None else None
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino) if st is not None else None


def _clear_uploads(folder: Path) -> None:
    """What dead workers (and this pid's earlier life) left; a live worker's folder stays."""
    for sub in folder.glob("*"):
        owner = int(sub.name) if sub.name.isdigit() else None
        if owner is None or owner == os.getpid() or not _alive(owner):
            shutil.rmtree(sub, ignore_errors=True) if sub.is_dir() else sub.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


T = TypeVar("T")


async def answered(services: Services, work: Callable[[], T]) -> T:
    """`work()` (a chat turn: CPU-bound, holding the GIL) on one of the few threads kept for
    answering, first come first served. With every waiting request on a thread of its own
    the GIL was shared forty ways and each turn took about as long as all of them together,
    so p95 at 20 clients was 1.5 times the mean. A turn's other calls (the embedding service,
    the database) give the GIL up, hence a few threads rather than one."""
    return await to_thread.run_sync(work, limiter=services.answering)


async def get_services(request: Request) -> Services:
    """A coroutine, not a function: FastAPI runs a plain function dependency in its thread
    pool, a hop of two thread switches per request for one attribute read."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_engine(services: ServicesDep) -> Engine:
    return services.engine()


EngineDep = Annotated[Engine, Depends(get_engine)]

_bearer = HTTPBearer(auto_error=False, description="a staff token (`budget-qa staff add NAME`) or BUDGETQA_ADMIN_TOKEN")


def require_staff(services: ServicesDep,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    """The name of the staff member the bearer token belongs to (`admin` for the bootstrap token)."""
    admin = services.settings.admin_token.get_secret_value()
    given = credentials.credentials if credentials else ""
    if admin and given and secrets.compare_digest(given.encode(), admin.encode()):
        return ADMIN
    who = services.staff.who(given) if given else None
    if who is not None:
        return who
    if not admin and not services.staff.any_active():
        raise HTTPException(403, "员工功能未开启：服务器没有设置 BUDGETQA_ADMIN_TOKEN，"
                                 "也没有员工账号（budget-qa staff add）")
    raise HTTPException(401, "需要员工令牌（Authorization: Bearer …）" if not given else "员工令牌不正确或已撤销",
                        headers={"WWW-Authenticate": "Bearer"})


StaffDep = Depends(require_staff)
Staff = Annotated[str, Depends(require_staff)]


async def rate_limit(request: Request, services: ServicesDep) -> None:
    """The limiter's bucket is a database row: counted in the thread pool, and only when a
    limit is set (a plain function dependency would take the hop even then)."""
    if services.limiter.per_minute <= 0:
        return
    client = request.client.host if request.client else "unknown"
    wait = await run_in_threadpool(services.limiter.allow, client)
    if wait > 0:
        raise HTTPException(429, f"提问太频繁，请 {math.ceil(wait)} 秒后再试",
                            headers={"Retry-After": str(math.ceil(wait))})


RateLimited = Depends(rate_limit)

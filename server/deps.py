"""What the routes share (the engine, conversations, limits) and the named dependencies."""

from __future__ import annotations

import math
import secrets
import shutil
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ingest.model import Fact
from ingest.store import Store
from qa.engine import Engine
from server.limits import Conversations, RateLimiter
from server.settings import ServerSettings


class Services:
    """One per app. The SQLite connection is shared by every worker thread, so every
    store call goes through `store_lock`; answers read only the engine's memory."""

    def __init__(self, settings: ServerSettings, make_engine: Callable[[], Engine]) -> None:
        self.settings = settings
        self.conversations = Conversations(settings.max_conversations, settings.conversation_ttl)
        self.limiter = RateLimiter(settings.rate_limit_per_minute)
        self.store_lock = threading.RLock()
        # Uploads wait here for their ingest; what a killed server left behind goes now.
        self.upload_dir = Path(settings.data_dir) / "uploads"
        shutil.rmtree(self.upload_dir, ignore_errors=True)
        self._make_engine = make_engine
        self._engine: Engine | None = None
        self._facts: dict[str, list[Fact]] = {}

    def engine(self) -> Engine:
        if self._engine is None:
            with self.store_lock:
                if self._engine is None:
                    self._use(self._make_engine())
        assert self._engine is not None
        return self._engine

    @property
    def store(self) -> Store:
        return self.engine().store

    def reload(self) -> None:
        """Swap in an engine over the store's current content; answers in flight keep
        the engine they started with."""
        old = self.engine()
        with self.store_lock:
            self._use(Engine(old.store, old.vectors, old.polisher))

    def table_facts(self, doc_id: str) -> list[Fact]:
        return self._facts.get(doc_id, [])

    def _use(self, engine: Engine) -> None:
        by_doc: dict[str, list[Fact]] = defaultdict(list)
        for f in engine.table_facts:
            by_doc[f.doc_id].append(f)
        self._facts, self._engine = dict(by_doc), engine


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_engine(services: ServicesDep) -> Engine:
    return services.engine()


EngineDep = Annotated[Engine, Depends(get_engine)]

_bearer = HTTPBearer(auto_error=False, description="BUDGETQA_ADMIN_TOKEN")


def require_staff(services: ServicesDep,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    token = services.settings.admin_token.get_secret_value()
    if not token:
        raise HTTPException(403, "员工功能未开启：服务器没有设置 BUDGETQA_ADMIN_TOKEN")
    given = credentials.credentials if credentials else ""
    if not secrets.compare_digest(given.encode(), token.encode()):
        raise HTTPException(401, "需要员工令牌（Authorization: Bearer …）" if not given else "员工令牌不正确",
                            headers={"WWW-Authenticate": "Bearer"})


StaffDep = Depends(require_staff)


def rate_limit(request: Request, services: ServicesDep) -> None:
    client = request.client.host if request.client else "unknown"
    wait = services.limiter.allow(client)
    if wait > 0:
        raise HTTPException(429, f"提问太频繁，请 {math.ceil(wait)} 秒后再试",
                            headers={"Retry-After": str(math.ceil(wait))})


RateLimited = Depends(rate_limit)

"""In-process limits: server-side conversations that expire, and a per-client rate limit."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from qa.engine import Conversation

Clock = Callable[[], float]


@dataclass
class _Entry:
    conversation: Conversation
    used: float


class Conversations:
    """Bounded in number and in idle time: the least recently used go first, and a
    conversation idle for longer than `ttl` seconds is forgotten."""

    def __init__(self, limit: int = 1000, ttl: float = 3600.0,
                 clock: Clock = time.monotonic) -> None:
        self.limit, self.ttl, self._clock = limit, ttl, clock
        self._items: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, cid: str | None) -> tuple[str, Conversation]:
        """The conversation `cid`, or a new one (with a new id) if it is unknown or expired."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            entry = self._items.get(cid) if cid else None
            if cid is None or entry is None:
                cid, entry = uuid.uuid4().hex, _Entry(Conversation(), now)
                self._items[cid] = entry
                while len(self._items) > self.limit:
                    self._items.popitem(last=False)
            entry.used = now
            self._items.move_to_end(cid)
            return cid, entry.conversation

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._items)

    def _expire(self, now: float) -> None:
        # Ordered by last use, so the expired ones are all at the front.
        while self._items:
            oldest = next(iter(self._items.values()))
            if now - oldest.used <= self.ttl:
                break
            self._items.popitem(last=False)


class RateLimiter:
    """A token bucket per client: `per_minute` requests in a burst, refilled evenly."""

    def __init__(self, per_minute: int, clients: int = 10_000, clock: Clock = time.monotonic) -> None:
        self.per_minute, self.clients, self._clock = per_minute, clients, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when
        self._lock = threading.Lock()

    def allow(self, client: str) -> float:
        """0 if the request may go ahead, else the seconds until it may."""
        if self.per_minute <= 0:
            return 0.0
        rate = self.per_minute / 60.0
        with self._lock:
            now = self._clock()
            tokens, when = self._buckets.pop(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - when) * rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
            self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
            while len(self._buckets) > self.clients:
                self._buckets.popitem(last=False)
            return wait

"""Server-side conversations that expire, and a per-client rate limit, both kept in the
database (the data dir's SQLite file, or PostgreSQL) so that every worker process of every
machine shares them: any worker continues any conversation, and a client's limit is one
limit however its requests are spread. Without a database (a library user, a test) they
live in an in-memory SQLite database of this process."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ingest.db import Database, SQLiteDatabase
from qa.engine import Conversation
from server.serial import dump_conversation, load_conversation

Clock = Callable[[], float]
# `used` (seconds, the wall clock: comparable across machines) decides expiry; `seq`, the
# order of use, decides which conversation goes first when there are too many.
SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (cid TEXT PRIMARY KEY, state TEXT NOT NULL,
  used DOUBLE PRECISION NOT NULL, seq BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_used ON conversations(used);
CREATE INDEX IF NOT EXISTS conversations_seq ON conversations(seq);
CREATE TABLE IF NOT EXISTS rate_limits (client TEXT PRIMARY KEY, tokens DOUBLE PRECISION NOT NULL,
  at DOUBLE PRECISION NOT NULL);
CREATE INDEX IF NOT EXISTS rate_limits_at ON rate_limits(at);
"""
PURGE_EVERY = 100  # requests between two clean-ups of idle clients' buckets
TIDY_EVERY = 20  # turns between two clean-ups of expired and surplus conversations
# The next `seq` taken in the statement itself (two workers may take the same: a tie in the
# order of use, nothing more).
PUT = ("INSERT INTO conversations (cid, state, used, seq) VALUES "
       "(?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM conversations)) "
       "ON CONFLICT(cid) DO UPDATE SET state = excluded.state, used = excluded.used, seq = excluded.seq")


def state_database(db: Database | None) -> Database:
    """`db` with the tables of conversations and rate limits, or a private in-memory one."""
    db = db or SQLiteDatabase(":memory:")
    db.apply_schema(SCHEMA)
    return db


@dataclass
class _Held:
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0


class Conversations:
    """Bounded in number and in idle time: the least recently used go first, and a
    conversation idle for longer than `ttl` seconds is forgotten (never read again; its row
    removed at the next clean-up, every TIDY_EVERY turns, which also brings the number back
    to `limit`). A turn loads the state, answers, and saves it (`turn`); two requests of one
    conversation in this process take turns."""

    def __init__(self, limit: int = 1000, ttl: float = 3600.0, clock: Clock = time.time,
                 db: Database | None = None) -> None:
        self.limit, self.ttl, self._clock = limit, ttl, clock
        self.db = state_database(db)
        self._held: dict[str, _Held] = {}
        self._guard = threading.Lock()
        self._turns = 0

    @contextmanager
    def turn(self, cid: str | None) -> Iterator[tuple[str, Conversation]]:
        """The conversation `cid` (or a new one) for one question; saved after it, unless
        answering it failed."""
        with self._holding(cid):
            cid, conv = self._read(cid)
            yield cid, conv
            state, now = dump_conversation(conv), self._clock()
            # One statement a turn: every request thread and every worker writes here, and a
            # write of several statements held the database (and, each statement giving up
            # the GIL, its lock) long enough to queue the others. In a transaction of its own
            # that takes the write lock first (SQLite's BEGIN IMMEDIATE): a plain statement that
            # reads before it writes fails at once ("database is locked") when another worker
            # wrote meanwhile, instead of waiting its turn.
            with self.db.transaction() as db:
                db.execute(PUT, (cid, state, now))
        with self._guard:
            self._turns += 1
            tidy = self._turns % TIDY_EVERY == 0
        if tidy:
            self._tidy(now)

    def _read(self, cid: str | None) -> tuple[str, Conversation]:
        """The conversation `cid` as stored, or a new one (not stored until its turn ends)."""
        row = self.db.execute("SELECT state, used FROM conversations WHERE cid=?", (cid,)).fetchone() \
            if cid else None
        if cid is None or row is None or row[1] < self._clock() - self.ttl:
            return uuid.uuid4().hex, Conversation()
        return cid, load_conversation(row[0])

    def get(self, cid: str | None) -> tuple[str, Conversation]:
        """The conversation `cid`, or a new one (with a new id) if it is unknown or expired."""
        now = self._clock()
        with self.db.transaction() as db:
            db.execute("DELETE FROM conversations WHERE used < ?", (now - self.ttl,))
            row = db.execute("SELECT state FROM conversations WHERE cid=?", (cid,)).fetchone() if cid else None
            if cid is None or row is None:
                cid, conv = uuid.uuid4().hex, Conversation()
                self._put(db, cid, conv, now)
                self._bound(db)
            else:
                conv = load_conversation(row[0])
                db.execute("UPDATE conversations SET used=?, seq=? WHERE cid=?", (now, self._next(db), cid))
        return cid, conv

    def save(self, cid: str, conv: Conversation) -> None:
        with self.db.transaction() as db:
            self._put(db, cid, conv, self._clock())

    def __len__(self) -> int:
        row = self.db.execute("SELECT count(*) FROM conversations WHERE used >= ?",
                              (self._clock() - self.ttl,)).fetchone()
        return int(row[0])

    def _put(self, db: Database, cid: str, conv: Conversation, now: float) -> None:
        db.execute(PUT, (cid, dump_conversation(conv), now))

    def _tidy(self, now: float) -> None:
        with self.db.transaction() as db:
            db.execute("DELETE FROM conversations WHERE used < ?", (now - self.ttl,))
            self._bound(db)

    @staticmethod
    def _next(db: Database) -> int:
        return int(db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM conversations").fetchone()[0])

    def _bound(self, db: Database) -> None:
        over = int(db.execute("SELECT count(*) FROM conversations").fetchone()[0]) - self.limit
        if over > 0:
            db.execute("DELETE FROM conversations WHERE cid IN "
                       "(SELECT cid FROM conversations ORDER BY seq LIMIT ?)", (over,))

    @contextmanager
    def _holding(self, cid: str | None) -> Iterator[None]:
        """This process's lock of one conversation, kept only while someone holds it."""
        if cid is None:
            yield
            return
        with self._guard:
            held = self._held.setdefault(cid, _Held())
            held.users += 1
        try:
            with held.lock:
                yield
        finally:
            with self._guard:
                held.users -= 1
                if held.users == 0:
                    del self._held[cid]


class RateLimiter:
    """A token bucket per client: `per_minute` requests in a burst, refilled evenly. A
    bucket idle for a minute is full again, so it is forgotten."""

    def __init__(self, per_minute: int, clock: Clock = time.time, db: Database | None = None) -> None:
        self.per_minute, self._clock = per_minute, clock
        self.db = state_database(db)
        self._calls = 0

    def allow(self, client: str) -> float:
        """0 if the request may go ahead, else the seconds until it may."""
        if self.per_minute <= 0:
            return 0.0
        rate, full = self.per_minute / 60.0, float(self.per_minute)
        now = self._clock()
        with self.db.transaction() as db:
            db.execute("INSERT INTO rate_limits (client, tokens, at) VALUES (?, ?, ?) "
                       "ON CONFLICT(client) DO NOTHING", (client, full, now))
            # An update first: PostgreSQL then holds the row until the commit, so two workers
            # counting one client's requests take turns (SQLite's BEGIN IMMEDIATE already does).
            db.execute("UPDATE rate_limits SET tokens = tokens WHERE client=?", (client,))
            tokens, when = db.execute("SELECT tokens, at FROM rate_limits WHERE client=?", (client,)).fetchone()
            tokens = min(full, float(tokens) + max(0.0, now - float(when)) * rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
            db.execute("UPDATE rate_limits SET tokens=?, at=? WHERE client=?",
                       (tokens - 1 if wait == 0 else tokens, now, client))
        self._calls += 1
        if self._calls % PURGE_EVERY == 0:
            self.db.execute("DELETE FROM rate_limits WHERE at < ?", (now - 60.0,))
        return wait

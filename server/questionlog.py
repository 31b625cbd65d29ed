"""The question log, private by design: for each turn its time, channel (web, api, v1), the
question, the reply's status, its interpretation, the documents cited and the latency. No IP
address and no user agent are stored; the conversation only as a salted hash (the salt never
leaves the database), so turns of one conversation group together and nobody can follow a
conversation id back. Entries older than `BUDGETQA_LOG_DAYS` are purged; with
`BUDGETQA_LOG_QUESTIONS=0` nothing is written.

A request only appends its entry to a buffer (no lock, no thread woken): a thread of this
process wakes once a second and writes what gathered in one transaction through a
connection of its own, so answering never waits for the database, nor hands the
interpreter to the writer at every question.

Every reply carries a `message_id` signed with a key kept in the database (every worker
shares it), so feedback can name a reply the log has not written yet, or one never logged,
and a made-up id is told apart at once."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.db import Database, connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS question_log (message_id TEXT PRIMARY KEY, at DOUBLE PRECISION NOT NULL,
  channel TEXT NOT NULL, question TEXT NOT NULL, wording TEXT NOT NULL, status TEXT NOT NULL,
  answer TEXT NOT NULL, interpretation TEXT, docs TEXT NOT NULL, latency_ms DOUBLE PRECISION NOT NULL,
  conversation TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS question_log_at ON question_log(at);
CREATE TABLE IF NOT EXISTS feedback (message_id TEXT PRIMARY KEY, at DOUBLE PRECISION NOT NULL,
  rating TEXT NOT NULL, note TEXT);
CREATE INDEX IF NOT EXISTS feedback_at ON feedback(at);
CREATE TABLE IF NOT EXISTS log_keys (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
STATUSES = ("answered", "clarify", "not_understood", "not_disclosed", "refused", "error")
BATCH = 500  # entries written per transaction at most
# The writer gathers entries this long before it writes: one short write transaction a second
# per worker, rather than one per question taking SQLite's write lock that the conversations'
# saves of every worker also need.
GATHER_SECONDS = 1.0
QUEUE = 10_000  # entries waiting at most; past it they are dropped (and counted), never waited for
PURGE_SECONDS = 3600.0
log = logging.getLogger("budgetqa.questions")


def log_status(reply: dict[str, Any]) -> str:
    """The log's finer status from a reply object: a not_found says why through `reason`."""
    status = str(reply.get("status") or "")
    if status != "not_found":
        return status if status in STATUSES else "answered"
    reason = reply.get("reason")
    return reason if reason in STATUSES else "not_disclosed"


@dataclass(frozen=True)
class Entry:
    message_id: str
    at: float
    channel: str
    question: str
    status: str
    answer: str
    interpretation: dict[str, Any] | None
    docs: tuple[str, ...]
    latency_ms: float
    conversation: str  # a conversation id, hashed before it is stored


def keys(db: Database) -> dict[str, str]:
    """The deployment's signing key and salt, made by the first worker that asks."""
    with db.transaction() as tx:
        for name in ("message_key", "conversation_salt"):
            tx.execute("INSERT INTO log_keys (name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
                       (name, secrets.token_hex(32)))
        return {r[0]: r[1] for r in tx.execute("SELECT name, value FROM log_keys")}


class QuestionLog:
    def __init__(self, db: Database, where: tuple[str, Path], enabled: bool = True, days: float = 90.0,
                 wording: Callable[[str], str] = str, on_drop: Callable[[], None] | None = None) -> None:
        self.db, self.enabled, self.days = db, enabled, days
        db.apply_schema(SCHEMA)
        secret = keys(db)
        self._key, self._salt = bytes.fromhex(secret["message_key"]), bytes.fromhex(secret["conversation_salt"])
        # The writer's own connection, opened now: opened later, after the database file was
        # removed, it would make a new empty one.
        self._writer_db = connect(*where) if enabled else None
        self._wording, self._on_drop = wording, on_drop
        self._pending: deque[Entry] = deque()
        self._writing = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._hurry = threading.Event()  # flush(): write what is queued now
        self._purged = 0.0

    # --- message ids --------------------------------------------------------------------
    def new_message_id(self) -> str:
        nonce = secrets.token_hex(8)
        return nonce + self._sign(nonce)

    def is_ours(self, message_id: str) -> bool:
        return len(message_id) == 32 and hmac.compare_digest(self._sign(message_id[:16]), message_id[16:])

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()[:16]

    def conversation_hash(self, conversation_id: str) -> str:
        return hmac.new(self._salt, conversation_id.encode(), hashlib.sha256).hexdigest()[:16] \
            if conversation_id else ""

    # --- writing ------------------------------------------------------------------------
    def record(self, entry: Entry) -> None:
        """Queued for the writer thread; never blocks the request."""
        if not self.enabled:
            return
        self._ensure_writer()
        if len(self._pending) >= QUEUE:  # the database is stuck: drop, never wait
            if self._on_drop is not None:
                self._on_drop()
            return
        self._pending.append(entry)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every entry recorded so far is written (tests, the 问题 page, shutdown)."""
        if self._thread is None:
            return
        self._hurry.set()
        deadline = time.monotonic() + timeout
        while (self._pending or self._writing) and time.monotonic() < deadline:
            time.sleep(0.005)

    def _ensure_writer(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._write, name="question-log", daemon=True)
                    self._thread.start()

    def _write(self) -> None:
        db = self._writer_db
        assert db is not None
        while True:
            self._hurry.wait(GATHER_SECONDS)
            self._hurry.clear()
            self._writing = True
            batch: list[Entry] = []
            while self._pending and len(batch) < QUEUE:
                batch.append(self._pending.popleft())
            try:
                for start in range(0, len(batch), BATCH):
                    self._insert(db, batch[start:start + BATCH])
                if time.time() - self._purged > PURGE_SECONDS:
                    self.purge(db)
            except Exception as exc:  # a full disk or a lost database: the log loses entries, not the service
                log.warning("question log: %d entries not written: %s", len(batch), exc)
            finally:
                self._writing = False

    def _insert(self, db: Database, batch: list[Entry]) -> None:
        rows = [(e.message_id, e.at, e.channel, e.question, self._wording(e.question), e.status, e.answer,
                 json.dumps(e.interpretation, ensure_ascii=False) if e.interpretation is not None else None,
                 json.dumps(list(e.docs)), round(e.latency_ms, 1), self.conversation_hash(e.conversation))
                for e in batch]
        with db.transaction() as tx:
            tx.executemany("INSERT INTO question_log (message_id, at, channel, question, wording, status, answer, "
                           "interpretation, docs, latency_ms, conversation) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
                           "ON CONFLICT(message_id) DO NOTHING", rows)

    def purge(self, db: Database | None = None, now: float | None = None) -> int:
        """Entries (and their feedback) older than the retention; how many entries went."""
        db = db or self.db
        cutoff = (now or time.time()) - self.days * 86400
        self._purged = time.time()
        with db.transaction() as tx:
            n = tx.execute("DELETE FROM question_log WHERE at < ?", (cutoff,)).rowcount
            tx.execute("DELETE FROM feedback WHERE at < ?", (cutoff,))
        return n

    # --- feedback -----------------------------------------------------------------------
    def feedback(self, message_id: str, rating: str, note: str | None) -> None:
        """A citizen's 👍/👎 on one reply; a second one replaces the first."""
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO feedback (message_id, at, rating, note) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT(message_id) DO UPDATE SET at = excluded.at, rating = excluded.rating, "
                       "note = excluded.note", (message_id, time.time(), rating, note))

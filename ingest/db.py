"""One thin connection layer over the two databases the store can use, so that the same SQL
text runs on both: SQLite (the data dir's budgetqa.sqlite, the embedded default) and
PostgreSQL (`BUDGETQA_DATABASE_URL=postgresql://user@host:port/db`).

SQL is written once, SQLite-style with `?` placeholders; for psycopg each `?` outside a
quoted literal becomes `%s` and a literal `%` is doubled. Write what both accept:
`INSERT … ON CONFLICT(key) DO UPDATE SET col = excluded.col` (a column of the target table
qualified: `meta.value + 1`), `COALESCE` (not IFNULL), `LIMIT ? OFFSET ?`; `INSERT OR
IGNORE` is rewritten, `INSERT OR REPLACE` is refused on PostgreSQL (it needs the key).
Rows are tuples on both; `execute` returns them read to the end (`Rows`: `fetchone`,
`fetchall`, iteration, `rowcount`). One lock per connection makes it safe to share between
threads: a transaction holds it from BEGIN to COMMIT, and a statement is stepped to its end
under it, so another thread's statement never lands inside a transaction. (A cursor handed
back half read went on stepping outside the lock: under two workers one such read, landing
in another thread's write transaction, failed busy and SQLite rolled that transaction back,
so its COMMIT found "no transaction is active".)
"""

from __future__ import annotations

import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from ingest.errors import StoreError

BUSY_SECONDS = 30.0  # how long a SQLite statement waits for another process's write transaction
SQLITE_FILE = "budgetqa.sqlite"
SCHEMA_LOCK = (0x6271, 1)  # pg_advisory_xact_lock(classid, objid) while a schema is created


class Rows:
    """A statement's result, read to the end while the connection's lock was held."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows, self.rowcount, self._next = rows, rowcount, 0

    def fetchone(self) -> Any:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[Any]:
        rest, self._next = self._rows[self._next:], len(self._rows)
        return rest

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


def read_out(cursor: Any) -> Rows:
    """The cursor's rows (none for a statement that returns none) and its rowcount."""
    return Rows(cursor.fetchall() if cursor.description is not None else [], cursor.rowcount)


class Database(Protocol):
    """What the store and the server's state use of a connection."""

    dialect: str  # "sqlite" | "postgresql"
    where: str  # for messages: the file, or the URL without its password

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows: ...
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Rows: ...
    def transaction(self) -> Any: ...  # a context manager yielding the Database
    def snapshot(self) -> Any: ...  # a context manager: reads inside see one committed state
    def apply_schema(self, schema: str, then: Callable[[Database], None] | None = None) -> None: ...
    def names(self) -> set[str]: ...  # tables and indexes
    def columns(self, table: str) -> set[str]: ...
    def close(self) -> None: ...


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def connect(url: str, data_dir: Path) -> Database:
    """PostgreSQL when `url` names it, else the SQLite file under `data_dir`."""
    if is_postgres(url):
        return PostgresDatabase(url)
    if url:
        raise StoreError(f"BUDGETQA_DATABASE_URL must be a postgresql:// URL (or empty for SQLite), not {url!r}")
    return SQLiteDatabase(data_dir / SQLITE_FILE)


def is_database_error(exc: BaseException) -> bool:
    """A driver's error (a full disk, a lost server), for a caller that reports it as a
    message. psycopg is imported only by a PostgreSQL store, so SQLite users never pay
    for it."""
    psycopg = sys.modules.get("psycopg")
    return isinstance(exc, sqlite3.Error) or (psycopg is not None and isinstance(exc, psycopg.Error))


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def statements(schema: str) -> list[str]:
    return [s.strip() for s in schema.split(";") if s.strip()]


class SQLiteDatabase:
    dialect = "sqlite"

    def __init__(self, path: Path | str) -> None:
        self.where = str(path)
        memory = str(path) == ":memory:"
        if not memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, check_same_thread=False, timeout=BUSY_SECONDS,
                                    isolation_level=None)
        if not memory:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")  # WAL: a killed process loses nothing committed
        self._lock = threading.RLock()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        with self._lock:
            return read_out(self.conn.execute(sql, params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Rows:
        with self._lock:
            return read_out(self.conn.executemany(sql, rows))

    @contextmanager
    def transaction(self) -> Iterator[SQLiteDatabase]:
        """A write transaction that takes SQLite's write lock at once (BEGIN IMMEDIATE), so
        it waits its turn instead of failing half way."""
        with self._lock:
            self._begin_immediate()
            try:
                yield self
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise

    def _begin_immediate(self) -> None:
        """SQLite answers "database is locked" at once, without its busy handler, where
        waiting could deadlock (seen under two workers writing conversations); those are
        retried here for as long as the busy handler would wait."""
        deadline = time.monotonic() + BUSY_SECONDS
        pause = 0.002
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise StoreError(f"the store {self.where} is busy: {exc}") from exc
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with self._lock:
            self.conn.execute("BEGIN")
            try:
                yield
            finally:
                self.conn.execute("COMMIT")

    def apply_schema(self, schema: str, then: Callable[[Database], None] | None = None) -> None:
        """The schema's statements, then `then(db)` (a migration), in one transaction that
        one process at a time runs (BEGIN IMMEDIATE)."""
        with self.transaction() as db:
            for statement in statements(schema):
                db.execute(statement)
            if then is not None:
                then(db)

    def names(self) -> set[str]:
        return {r[0] for r in self.execute("SELECT name FROM sqlite_master")}

    def columns(self, table: str) -> set[str]:
        return {r[1] for r in self.execute(f"PRAGMA table_info({table})")}

    def close(self) -> None:
        self.conn.close()


PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|\?")
OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+", re.IGNORECASE)
OR_REPLACE = re.compile(r"^\s*INSERT\s+OR\s+REPLACE\s+", re.IGNORECASE)


@lru_cache(maxsize=1024)
def to_postgres(sql: str) -> str:
    """The SQLite-style statement as psycopg takes it."""
    if OR_REPLACE.match(sql):
        raise StoreError("INSERT OR REPLACE has no PostgreSQL form without the key; write "
                         "INSERT … ON CONFLICT(key) DO UPDATE SET … (both databases accept it)")
    if OR_IGNORE.match(sql):
        sql = OR_IGNORE.sub("INSERT ", sql) + " ON CONFLICT DO NOTHING"
    sql = sql.replace("%", "%%")
    return PLACEHOLDER.sub(lambda m: "%s" if m.group(0) == "?" else m.group(0), sql)


class PostgresDatabase:
    """An autocommit psycopg connection; writes in explicit `transaction()` blocks."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg

        self.url, self.where = url, redact(url)
        try:
            self.conn = psycopg.connect(url, autocommit=True, application_name="budget-qa")
        except psycopg.Error as exc:
            raise StoreError(f"the database {self.where} cannot be used: {exc}") from exc
        self._lock = threading.RLock()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        with self._lock:
            return read_out(self.conn.execute(to_postgres(sql), tuple(params)))  # type: ignore[arg-type]

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Rows:
        with self._lock:
            cursor = self.conn.cursor()
            cursor.executemany(to_postgres(sql), [tuple(r) for r in rows])  # type: ignore[arg-type]
            return read_out(cursor)

    @contextmanager
    def transaction(self) -> Iterator[PostgresDatabase]:
        with self._lock, self.conn.transaction():
            yield self

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with self._lock, self.conn.transaction():
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    def apply_schema(self, schema: str, then: Callable[[Database], None] | None = None) -> None:
        """Two processes creating the schema at once would collide in the catalogue: the
        second waits for the first (a lock for this transaction only)."""
        with self.transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(?, ?)", SCHEMA_LOCK)
            for statement in statements(schema):
                db.execute(statement)
            if then is not None:
                then(db)

    def names(self) -> set[str]:
        return {r[0] for r in self.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 'p')")}

    def columns(self, table: str) -> set[str]:
        return {r[0] for r in self.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ?", (table,))}

    def close(self) -> None:
        self.conn.close()

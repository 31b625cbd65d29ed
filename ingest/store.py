"""SQLite for documents, tables, facts, chunks and findings; Chroma for chunk vectors.

SQLite is the source of truth. A document is written in one short SQLite transaction
(WAL: readers never wait for it) that also records, in `vector_outbox`, the vectors to
add and to delete; Chroma is brought in line after the commit, and the outbox row goes
only once Chroma holds the change. A kill anywhere leaves rows that the next writer or
`reconcile` replays, so the two stores agree again. Every write bumps `generation`, which
readers in other processes watch to know that the store changed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from ingest.errors import StoreError
from ingest.lock import WriteLock, crash_point
from ingest.model import Chunk, Document, Fact, Finding, Table

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (doc_id TEXT PRIMARY KEY, title TEXT, unit TEXT,
  year INTEGER, kind TEXT, source TEXT, sha256 TEXT, pages INTEGER, region TEXT);
CREATE TABLE IF NOT EXISTS files (sha256 TEXT PRIMARY KEY, doc_id TEXT, name TEXT);
CREATE TABLE IF NOT EXISTS tables (doc_id TEXT, number TEXT, title TEXT, unit TEXT,
  page INTEGER, columns TEXT, table_type TEXT, empty INTEGER);
CREATE TABLE IF NOT EXISTS facts (doc_id TEXT, tbl TEXT, code TEXT, row TEXT, col TEXT,
  value TEXT, unit TEXT, page INTEGER, quote TEXT, table_type TEXT, section TEXT, source TEXT);
CREATE TABLE IF NOT EXISTS chunks (chunk_id TEXT PRIMARY KEY, doc_id TEXT, kind TEXT,
  text TEXT, page INTEGER, tbl TEXT, meta TEXT);
CREATE TABLE IF NOT EXISTS findings (doc_id TEXT, kind TEXT, ok INTEGER, message TEXT,
  page INTEGER, tbl TEXT);
CREATE INDEX IF NOT EXISTS facts_doc ON facts(doc_id);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS facts_row_tbl ON facts(row, tbl);
CREATE INDEX IF NOT EXISTS facts_col_tbl ON facts(col, tbl);
CREATE TABLE IF NOT EXISTS vector_outbox (chunk_id TEXT PRIMARY KEY, op TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
BUSY_SECONDS = 30.0  # how long a statement waits for another process's write transaction
BATCH = 16  # chunks embedded per Chroma call


# Prose is embedded; a table row is found through its typed facts and BM25, so its
# vector would cost ingest time (nine rows in ten of a PDF's chunks) for no answer.
EMBEDDED = ("prose",)


class VectorIndex(Protocol):
    """Where chunk vectors live; Chroma in production, anything with these three in tests."""

    def upsert(self, chunks: list[Chunk]) -> None: ...
    def delete(self, chunk_ids: list[str]) -> None: ...
    def ids(self) -> set[str]: ...
    def search(self, query: str, k: int, doc_ids: list[str] | None) -> list[tuple[str, float]]: ...


class Store:
    """One SQLite connection (autocommit; writes in explicit short transactions) and the
    optional vector index. `lock` serialises writers across processes (ingest.lock)."""

    def __init__(self, data_dir: Path, vectors: VectorIndex | None = None,
                 lock: WriteLock | None = None) -> None:
        self.data_dir = data_dir
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(data_dir / "budgetqa.sqlite", check_same_thread=False,
                                      timeout=BUSY_SECONDS, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # WAL: a killed process loses nothing committed
            if not self._current():
                with self._transaction() as db:
                    for statement in filter(str.strip, SCHEMA.split(";")):
                        db.execute(statement)
                    columns = {r[1] for r in db.execute("PRAGMA table_info(facts)")}
                    if "source" not in columns:  # a data dir written before facts named their file
                        db.execute("ALTER TABLE facts ADD COLUMN source TEXT")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"the data dir {data_dir} cannot be used: {exc}") from exc
        self.vectors = vectors
        self.lock = lock or WriteLock(data_dir)

    def _current(self) -> bool:
        """The schema is there already (opening a store then writes nothing)."""
        names = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master")}
        wanted = {"meta", "vector_outbox", "facts_doc", "chunks_doc", "facts_row_tbl", "facts_col_tbl"}
        return wanted <= names and "source" in {r[1] for r in self.db.execute("PRAGMA table_info(facts)")}

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes SQLite's write lock at once (BEGIN IMMEDIATE), so
        it waits its turn instead of failing half way."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the store {self.data_dir} is busy: {exc}") from exc
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one committed state, whatever other processes write meanwhile."""
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    def generation(self) -> int:
        """A number that changes with every write, from any process."""
        row = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _bump(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO meta VALUES ('generation', 1) "
                   "ON CONFLICT(key) DO UPDATE SET value = value + 1")

    def doc_for_file(self, sha256: str) -> str | None:
        row = self.db.execute("SELECT doc_id FROM files WHERE sha256=?", (sha256,)).fetchone()
        return row[0] if row else None

    def save(self, doc: Document, files: list[tuple[str, str]], tables: list[Table],
             facts: list[Fact], chunks: list[Chunk], findings: list[Finding],
             absorb: tuple[str, ...] = ()) -> None:
        """Replace everything stored for the document, and remove the documents it absorbs
        (whose content it now holds), atomically; then bring the vectors in line."""
        ids = (doc.doc_id, *absorb)
        marks = ",".join("?" * len(ids))
        with self.lock.hold():
            self._save(ids, marks, doc, files, tables, facts, chunks, findings)

    def _save(self, ids: tuple[str, ...], marks: str, doc: Document, files: list[tuple[str, str]],
              tables: list[Table], facts: list[Fact], chunks: list[Chunk], findings: list[Finding]) -> None:
        with self._transaction() as db:
            old = {r[0] for r in db.execute(f"SELECT chunk_id FROM chunks WHERE doc_id IN ({marks})", ids)}
            for table in ("documents", "files", "tables", "facts", "chunks", "findings"):
                db.execute(f"DELETE FROM {table} WHERE doc_id IN ({marks})", ids)
            db.execute("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?)",
                       (doc.doc_id, doc.title, doc.unit, doc.year, doc.kind, doc.source,
                        doc.sha256, doc.pages, doc.region))
            db.executemany("INSERT OR REPLACE INTO files VALUES (?,?,?)",
                           [(sha, doc.doc_id, name) for sha, name in files])
            db.executemany("INSERT INTO tables VALUES (?,?,?,?,?,?,?,?)",
                           [(t.doc_id, t.number, t.title, t.unit, t.page, json.dumps(t.columns,
                             ensure_ascii=False), t.table_type, int(t.empty)) for t in tables])
            db.executemany("INSERT INTO facts VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                           [(f.doc_id, f.table, f.code, f.row, f.column, str(f.value), f.unit,
                             f.page, f.quote, f.table_type, f.section, f.source) for f in facts])
            db.executemany("INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?,?)",
                           [(c.chunk_id, c.doc_id, c.kind, c.text, c.page, c.table,
                             json.dumps(c.meta, ensure_ascii=False)) for c in chunks])
            db.executemany("INSERT INTO findings VALUES (?,?,?,?,?,?)",
                           [(f.doc_id, f.check, int(f.ok), f.message, f.page, f.table)
                            for f in findings])
            new = {c.chunk_id for c in chunks if c.kind in EMBEDDED}
            self._record(db, sorted(new - old), sorted(old - {c.chunk_id for c in chunks}))
            self._bump(db)
            crash_point("before_commit")
        crash_point("after_commit")
        self.sync_vectors()

    def delete_document(self, doc_id: str, timeout: float | None = None) -> bool:
        """Remove a document and, through the outbox, its vectors; waits at most `timeout`
        seconds for another writer (StoreError after)."""
        with self.lock.hold(timeout):
            with self._transaction() as db:
                ids = [r[0] for r in db.execute("SELECT chunk_id FROM chunks WHERE doc_id=?", (doc_id,))]
                n = db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,)).rowcount
                for table in ("files", "tables", "facts", "chunks", "findings"):
                    db.execute(f"DELETE FROM {table} WHERE doc_id=?", (doc_id,))
                self._record(db, [], ids)
                self._bump(db)
            self.sync_vectors()
        return n > 0

    @staticmethod
    def _record(db: sqlite3.Connection, upserts: list[str], deletes: list[str]) -> None:
        db.executemany("INSERT OR REPLACE INTO vector_outbox VALUES (?, 'upsert')", [(i,) for i in upserts])
        db.executemany("INSERT OR REPLACE INTO vector_outbox VALUES (?, 'delete')", [(i,) for i in deletes])

    def pending_vectors(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM vector_outbox").fetchone()[0])

    def sync_vectors(self) -> int:
        """Replay the outbox into the vector index: delete, then embed in batches; a row
        goes only after Chroma holds its change. Returns the rows replayed."""
        if self.vectors is None:
            return 0
        pending = self.db.execute("SELECT chunk_id, op FROM vector_outbox").fetchall()
        if not pending:
            return 0
        live = {c.chunk_id: c for c in self._chunks_by_id([i for i, op in pending if op == "upsert"])}
        gone = [i for i, _ in pending if i not in live]  # deleted, or stored no more
        if gone:
            crash_point("before_delete")
            self.vectors.delete(gone)
        todo = [c for c in live.values() if c.kind in EMBEDDED]
        for start in range(0, len(todo), BATCH):
            self.vectors.upsert(todo[start:start + BATCH])
            crash_point("during_embedding")
        crash_point("after_vectors")
        with self._transaction() as db:
            db.executemany("DELETE FROM vector_outbox WHERE chunk_id=? AND op=?", pending)
        return len(pending)

    def reconcile(self) -> tuple[int, int]:
        """Make the vector index hold exactly the embedded chunks SQLite holds: the outbox
        replayed, then missing vectors embedded and orphans deleted. (added, deleted)"""
        if self.vectors is None:
            return 0, 0
        with self.lock.hold():
            return self._reconcile(self.vectors)

    def _reconcile(self, vectors: VectorIndex) -> tuple[int, int]:
        self.sync_vectors()
        want = {r[0] for r in self.db.execute(
            f"SELECT chunk_id FROM chunks WHERE kind IN ({','.join('?' * len(EMBEDDED))})", EMBEDDED)}
        have = vectors.ids()
        orphans, missing = sorted(have - want), sorted(want - have)
        if orphans:
            vectors.delete(orphans)
        chunks = self._chunks_by_id(missing)
        for start in range(0, len(chunks), BATCH):
            vectors.upsert(chunks[start:start + BATCH])
        return len(missing), len(orphans)

    def _chunks_by_id(self, ids: list[str]) -> list[Chunk]:
        out: list[Chunk] = []
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            out += self._chunk_rows(f" WHERE chunk_id IN ({','.join('?' * len(part))})", part)
        return out

    def documents(self) -> list[Document]:
        rows = self.db.execute("SELECT doc_id, title, unit, year, kind, source, sha256, pages, "
                               "region FROM documents ORDER BY title").fetchall()
        return [Document(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8] or "") for r in rows]

    def facts(self, doc_id: str | None = None) -> list[Fact]:
        sql = ("SELECT doc_id, tbl, code, row, col, value, unit, page, quote, table_type, section, "
               "source FROM facts")
        rows = self.db.execute(sql + " WHERE doc_id=?", (doc_id,)) if doc_id else \
            self.db.execute(sql)
        return [Fact(r[0], r[1], r[2], r[3], r[4], Decimal(r[5]), r[6], r[7], r[8], r[9] or "",
                     r[10] or "", r[11] or "") for r in rows]

    def facts_in_rows(self, rows: list[str], doc_ids: list[str] | None = None) -> list[Fact]:
        """The facts of rows printed with these names, in every document (or these), read
        through the row index: one figure across a thousand documents without loading them."""
        out: list[Fact] = []
        keep = None if doc_ids is None else set(doc_ids)
        for start in range(0, len(rows), 200):
            part = rows[start:start + 200]
            out += [f for f in self._fact_rows(f" WHERE row IN ({','.join('?' * len(part))})", part)
                    if keep is None or f.doc_id in keep]
        return out

    def _fact_rows(self, where: str, args: list[str]) -> list[Fact]:
        rows = self.db.execute("SELECT doc_id, tbl, code, row, col, value, unit, page, quote, table_type, "
                               "section, source FROM facts" + where, args)
        return [Fact(r[0], r[1], r[2], r[3], r[4], Decimal(r[5]), r[6], r[7], r[8], r[9] or "",
                     r[10] or "", r[11] or "") for r in rows]

    def row_names(self) -> list[str]:
        """Every table row name of every document, once each (the corpus's vocabulary)."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT row FROM facts WHERE tbl != '正文'")]

    def column_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT col FROM facts WHERE tbl != '正文'")]

    def fact_counts(self) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in self.db.execute("SELECT doc_id, count(*) FROM facts GROUP BY doc_id")}

    def tables(self, doc_id: str | None = None) -> list[Table]:
        sql = "SELECT doc_id, number, title, unit, page, columns, table_type, empty FROM tables"
        rows = self.db.execute(sql + " WHERE doc_id=?", (doc_id,)) if doc_id else \
            self.db.execute(sql)
        return [Table(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])), r[6], bool(r[7]))
                for r in rows]

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        return self._chunk_rows(" WHERE doc_id=?", [doc_id]) if doc_id else self._chunk_rows("", [])

    def _chunk_rows(self, where: str, args: list[str]) -> list[Chunk]:
        rows = self.db.execute("SELECT chunk_id, doc_id, kind, text, page, tbl, meta FROM chunks" + where, args)
        return [Chunk(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6] or "{}")) for r in rows]

    def findings(self, doc_id: str | None = None) -> list[Finding]:
        sql = "SELECT doc_id, kind, ok, message, page, tbl FROM findings"
        rows = self.db.execute(sql + " WHERE doc_id=?", (doc_id,)) if doc_id else \
            self.db.execute(sql)
        return [Finding(r[0], r[1], bool(r[2]), r[3], r[4], r[5]) for r in rows]

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.documents() if d.doc_id == doc_id), None)

    def file_rows(self, doc_id: str) -> list[tuple[str, str]]:
        """(sha256, name) of the files a document was read from."""
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT sha256, name FROM files WHERE doc_id=? ORDER BY name", (doc_id,))]

    def files(self, doc_id: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM files WHERE doc_id=? ORDER BY name",
                                              (doc_id,))]

    def close(self) -> None:
        self.db.close()

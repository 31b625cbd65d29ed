"""SQLite for documents, tables, facts, chunks and findings; Chroma for chunk vectors.

A document is written in one SQLite transaction that commits only after its vectors
are in Chroma, so a failed ingest leaves what was there before.
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
"""


# Prose is embedded; a table row is found through its typed facts and BM25, so its
# vector would cost ingest time (nine rows in ten of a PDF's chunks) for no answer.
EMBEDDED = ("prose",)


class VectorIndex(Protocol):
    """Where chunk vectors live; Chroma in production, anything with these three in tests."""

    def upsert(self, chunks: list[Chunk]) -> None: ...
    def delete(self, chunk_ids: list[str]) -> None: ...
    def search(self, query: str, k: int, doc_ids: list[str] | None) -> list[tuple[str, float]]: ...


class Store:
    def __init__(self, data_dir: Path, vectors: VectorIndex | None = None) -> None:
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(data_dir / "budgetqa.sqlite", check_same_thread=False)
            self.db.executescript(SCHEMA)
            columns = {r[1] for r in self.db.execute("PRAGMA table_info(facts)")}
            if "source" not in columns:  # a data dir written before facts named their file
                self.db.execute("ALTER TABLE facts ADD COLUMN source TEXT")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"the data dir {data_dir} cannot be used: {exc}") from exc
        self.vectors = vectors

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self.db.execute("BEGIN")
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def doc_for_file(self, sha256: str) -> str | None:
        row = self.db.execute("SELECT doc_id FROM files WHERE sha256=?", (sha256,)).fetchone()
        return row[0] if row else None

    def save(self, doc: Document, files: list[tuple[str, str]], tables: list[Table],
             facts: list[Fact], chunks: list[Chunk], findings: list[Finding],
             absorb: tuple[str, ...] = ()) -> None:
        """Replace everything stored for the document, and remove the documents it absorbs
        (whose content it now holds), atomically."""
        ids = (doc.doc_id, *absorb)
        marks = ",".join("?" * len(ids))
        old = {r[0] for r in self.db.execute(f"SELECT chunk_id FROM chunks WHERE doc_id IN ({marks})", ids)}
        new_ids = {c.chunk_id for c in chunks}
        with self._transaction() as db:
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
            if self.vectors is not None:
                self.vectors.upsert([c for c in chunks if c.chunk_id not in old and c.kind in EMBEDDED])
        if self.vectors is not None and old - new_ids:
            self.vectors.delete(sorted(old - new_ids))

    def delete_document(self, doc_id: str) -> bool:
        ids = [r[0] for r in self.db.execute("SELECT chunk_id FROM chunks WHERE doc_id=?",
                                             (doc_id,))]
        with self._transaction() as db:
            n = db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,)).rowcount
            for table in ("files", "tables", "facts", "chunks", "findings"):
                db.execute(f"DELETE FROM {table} WHERE doc_id=?", (doc_id,))
        if self.vectors is not None and ids:
            self.vectors.delete(ids)
        return n > 0

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

    def tables(self, doc_id: str | None = None) -> list[Table]:
        sql = "SELECT doc_id, number, title, unit, page, columns, table_type, empty FROM tables"
        rows = self.db.execute(sql + " WHERE doc_id=?", (doc_id,)) if doc_id else \
            self.db.execute(sql)
        return [Table(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])), r[6], bool(r[7]))
                for r in rows]

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        sql = "SELECT chunk_id, doc_id, kind, text, page, tbl, meta FROM chunks"
        rows = self.db.execute(sql + " WHERE doc_id=?", (doc_id,)) if doc_id else \
            self.db.execute(sql)
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

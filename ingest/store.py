"""The source of truth for documents, tables, facts, chunks and findings (SQLite under the
data dir, or PostgreSQL: ingest.db); Chroma for chunk vectors.

A document is written in one short transaction (SQLite's WAL, PostgreSQL's MVCC: readers
never wait for it) that also records, in `vector_outbox`, the vectors to add and to
delete; Chroma is brought in line after the commit, and the outbox row goes only once
Chroma holds the change. A kill anywhere leaves rows that the next writer or `reconcile`
replays, so the two stores agree again. Every write bumps `generation`, which readers in
other processes (other machines, on PostgreSQL) watch to know that the store changed.
The SQL here runs unchanged on both databases (see ingest.db for what that asks).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from ingest.db import Database, connect, is_database_error, redact
from ingest.ddl import ensure_schema, next_seq
from ingest.errors import EmbeddingModelError, StoreError
from ingest.lock import Lock, crash_point, write_lock
from ingest.model import Chunk, Document, Fact, Finding, Place, Table
from ingest.records import Taught, activity, add_taught, record_activity, taught_words, undo_taught
from ingest.version import extractor_version

BATCH = 16  # chunks embedded per Chroma call (sync_vectors sorts them by length first)
log = logging.getLogger("budgetqa.store")


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
    """One connection (autocommit; writes in explicit short transactions) to SQLite under
    `data_dir`, or to the PostgreSQL database `database_url` names, and the optional vector
    index. `lock` serialises writers across processes (ingest.lock): the data dir's lock
    file on SQLite, an advisory lock of the database on PostgreSQL."""

    def __init__(self, data_dir: Path, vectors: VectorIndex | None = None,
                 lock: Lock | None = None, database_url: str = "") -> None:
        self.data_dir, self.database_url = data_dir, database_url
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            self.db: Database = connect(database_url, data_dir)
            ensure_schema(self.db)  # a current store is only read
        except Exception as exc:
            if not isinstance(exc, OSError) and not is_database_error(exc):
                raise
            where = f"the database {redact(database_url)}" if database_url else f"the data dir {data_dir}"
            raise StoreError(f"{where} cannot be used: {exc}") from exc
        self.vectors = vectors
        self.lock = lock or write_lock(data_dir, database_url)

    def _transaction(self) -> Any:
        """A write transaction; on SQLite it takes the write lock at once (BEGIN IMMEDIATE),
        so it waits its turn instead of failing half way."""
        return self.db.transaction()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one committed state, whatever other processes write meanwhile."""
        with self.db.snapshot():
            yield

    def generation(self) -> int:
        """A number that changes with every write, from any process."""
        row = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _bump(db: Database) -> None:
        db.execute("INSERT INTO meta VALUES ('generation', 1) "
                   "ON CONFLICT(key) DO UPDATE SET value = meta.value + 1")

    def doc_for_file(self, sha256: str) -> str | None:
        row = self.db.execute("SELECT doc_id FROM files WHERE sha256=?", (sha256,)).fetchone()
        return row[0] if row else None

    def save(self, doc: Document, files: list[tuple[str, str]], tables: list[Table],
             facts: list[Fact], chunks: list[Chunk], findings: list[Finding],
             absorb: tuple[str, ...] = (), originals: Sequence[tuple[str, str, bytes]] = (),
             embed: bool = True) -> int:
        """Replace everything stored for the document, and remove the documents it absorbs
        (whose content it now holds), atomically, with the original files (sha256, name,
        bytes) it was read from; then bring the vectors in line. Returns the vectors still
        pending: 0, unless the vector index failed (the document is stored all the same,
        and the outbox keeps them for the next writer, `reconcile` or `budget-qa check --repair`).
        Without `embed` the vectors are left owed in the outbox (`embed_owed`): a batch of
        files embeds its passages together, once every file is read."""
        ids = (doc.doc_id, *absorb)
        marks = ",".join("?" * len(ids))
        with self.lock.hold():
            self._save(ids, marks, doc, files, tables, facts, chunks, findings, list(originals))
            return self._sync_after_commit() if embed else 0

    def embed_owed(self) -> dict[str, int]:
        """The outbox replayed into the vector index; the vectors still owed after (the index
        failed), by document."""
        if self.vectors is None:
            return {}
        with self.lock.hold():
            self._sync_after_commit()
            return {r[0]: int(r[1]) for r in self.db.execute(
                "SELECT c.doc_id, count(*) FROM vector_outbox o JOIN chunks c ON c.chunk_id = o.chunk_id "
                "GROUP BY c.doc_id")}

    def _sync_after_commit(self) -> int:
        try:
            self.sync_vectors()
        except EmbeddingModelError:
            raise  # no vector can be made: the outbox keeps the work, the caller must say why
        except Exception as exc:  # Chroma's errors have no common base; the outbox keeps the work
            log.warning("vectors left pending in the outbox: %s", exc)
        return self.pending_vectors() if self.vectors is not None else 0

    def _save(self, ids: tuple[str, ...], marks: str, doc: Document, files: list[tuple[str, str]],
              tables: list[Table], facts: list[Fact], chunks: list[Chunk], findings: list[Finding],
              originals: list[tuple[str, str, bytes]]) -> None:
        with self._transaction() as db:
            old = {r[0] for r in db.execute(f"SELECT chunk_id FROM chunks WHERE doc_id IN ({marks})", ids)}
            for table in ("documents", "files", "tables", "facts", "chunks", "findings"):
                db.execute(f"DELETE FROM {table} WHERE doc_id IN ({marks})", ids)
            db.execute("INSERT INTO documents (doc_id, title, unit, year, kind, source, sha256, pages, "
                       "region, extractor) VALUES (?,?,?,?,?,?,?,?,?,?)",
                       (doc.doc_id, doc.title, doc.unit, doc.year, doc.kind, doc.source,
                        doc.sha256, doc.pages, doc.region, extractor_version()))
            db.executemany("INSERT INTO originals (sha256, name, size, content) VALUES (?,?,?,?) "
                           "ON CONFLICT(sha256) DO NOTHING", [(sha, name, len(data), data)
                                                              for sha, name, data in originals])
            db.executemany("INSERT INTO files (sha256, doc_id, name) VALUES (?,?,?) ON CONFLICT(sha256) DO UPDATE "
                           "SET doc_id = excluded.doc_id, name = excluded.name",
                           [(sha, doc.doc_id, name) for sha, name in files])
            seq = {t: next_seq(db, t) for t in ("tables", "facts", "chunks", "findings")}
            db.executemany("INSERT INTO tables (doc_id, number, title, unit, page, columns, table_type, "
                           "empty, seq) VALUES (?,?,?,?,?,?,?,?,?)",
                           [(t.doc_id, t.number, t.title, t.unit, t.page, json.dumps(t.columns,
                             ensure_ascii=False), t.table_type, int(t.empty), seq["tables"] + i)
                            for i, t in enumerate(tables)])
            db.executemany("INSERT INTO facts (doc_id, tbl, code, row, col, value, unit, page, quote, "
                           "table_type, section, source, seq, labels, confidence) "
                           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           [(f.doc_id, f.table, f.code, f.row, f.column, str(f.value), f.unit,
                             f.page, f.quote, f.table_type, f.section, f.source, seq["facts"] + i,
                             json.dumps(f.labels, ensure_ascii=False) if f.labels else None, f.confidence)
                            for i, f in enumerate(facts)])
            db.executemany("INSERT INTO chunks (chunk_id, doc_id, kind, text, page, tbl, meta, seq) "
                           "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(chunk_id) DO UPDATE "
                           "SET doc_id = excluded.doc_id, kind = excluded.kind, text = excluded.text, "
                           "page = excluded.page, tbl = excluded.tbl, meta = excluded.meta, seq = excluded.seq",
                           [(c.chunk_id, c.doc_id, c.kind, c.text, c.page, c.table,
                             json.dumps(c.meta, ensure_ascii=False), seq["chunks"] + i)
                            for i, c in enumerate(chunks)])
            db.executemany("INSERT INTO findings (doc_id, kind, ok, message, page, tbl, seq, places, "
                           "computation) VALUES (?,?,?,?,?,?,?,?,?)",
                           [(f.doc_id, f.check, int(f.ok), f.message, f.page, f.table, seq["findings"] + i,
                             _places_json(f.places), f.computation or None)
                            for i, f in enumerate(findings)])
            new = {c.chunk_id for c in chunks if c.kind in EMBEDDED}
            self._record(db, sorted(new - old), sorted(old - {c.chunk_id for c in chunks}))
            self._drop_unused_originals(db)
            self._bump(db)
            crash_point("before_commit")
        crash_point("after_commit")

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
                self._drop_unused_originals(db)
                self._bump(db)
            self._sync_after_commit()
        return n > 0

    @staticmethod
    def _drop_unused_originals(db: Database) -> None:
        """An original goes with the last document that was read from it."""
        db.execute("DELETE FROM originals WHERE sha256 NOT IN (SELECT sha256 FROM files)")

    @staticmethod
    def _record(db: Database, upserts: list[str], deletes: list[str]) -> None:
        outbox = "INSERT INTO vector_outbox VALUES (?, ?) ON CONFLICT(chunk_id) DO UPDATE SET op = excluded.op"
        db.executemany(outbox, [(i, "upsert") for i in upserts] + [(i, "delete") for i in deletes])

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
        # by length: a call's texts are padded to its longest
        todo = sorted((c for c in live.values() if c.kind in EMBEDDED), key=lambda c: len(c.text))
        for start in range(0, len(todo), BATCH):
            self.vectors.upsert(todo[start:start + BATCH])
            crash_point("during_embedding")
        crash_point("after_vectors")
        with self._transaction() as db:
            db.executemany("DELETE FROM vector_outbox WHERE chunk_id=? AND op=?", pending)
        return len(pending)

    def reconcile(self) -> tuple[int, int]:
        """Make the vector index hold exactly the embedded chunks the database holds: the outbox
        replayed, then missing vectors embedded and orphans deleted. (added, deleted)"""
        if self.vectors is None:
            return 0, 0
        with self.lock.hold():
            return self._reconcile(self.vectors)

    def vector_differences(self) -> tuple[list[str], list[str]]:
        """(missing, orphans): embedded chunks the index lacks, and vectors of no chunk."""
        if self.vectors is None:
            return [], []
        want = {r[0] for r in self.db.execute(
            f"SELECT chunk_id FROM chunks WHERE kind IN ({','.join('?' * len(EMBEDDED))})", EMBEDDED)}
        have = self.vectors.ids()
        return sorted(want - have), sorted(have - want)

    def _reconcile(self, vectors: VectorIndex) -> tuple[int, int]:
        self.sync_vectors()
        missing, orphans = self.vector_differences()
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
        """By title, in code-point order (sorted here: a PostgreSQL database's collation
        would order Chinese titles otherwise)."""
        rows = self.db.execute("SELECT doc_id, title, unit, year, kind, source, sha256, pages, "
                               "region FROM documents").fetchall()
        return [Document(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8] or "")
                for r in sorted(rows, key=lambda r: (r[1] or "", r[0]))]

    def facts(self, doc_id: str | None = None) -> list[Fact]:
        return self._fact_rows(" WHERE doc_id=? ORDER BY seq", [doc_id]) if doc_id else \
            self._fact_rows(" ORDER BY seq", [])

    def facts_in_rows(self, rows: list[str], doc_ids: list[str] | None = None) -> list[Fact]:
        """The facts of rows printed with these names, in every document (or these), read
        through the row index: one figure across a thousand documents without loading them."""
        out: list[Fact] = []
        keep = None if doc_ids is None else set(doc_ids)
        for start in range(0, len(rows), 200):
            part = rows[start:start + 200]
            out += [f for f in self._fact_rows(f" WHERE row IN ({','.join('?' * len(part))}) ORDER BY seq", part)
                    if keep is None or f.doc_id in keep]
        return out

    def _fact_rows(self, where: str, args: list[str]) -> list[Fact]:
        rows = self.db.execute("SELECT doc_id, tbl, code, row, col, value, unit, page, quote, table_type, "
                               "section, source, labels, confidence FROM facts" + where, args)
        return [Fact(r[0], r[1], r[2], r[3], r[4], Decimal(r[5]), r[6], r[7], r[8], r[9] or "",
                     r[10] or "", r[11] or "", tuple((a, b) for a, b in json.loads(r[12] or "[]")), r[13] or "")
                for r in rows]

    def row_names(self) -> list[str]:
        """Every table row name of every document, once each (the corpus's vocabulary)."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT row FROM facts WHERE tbl != '正文'")]

    def dated_row_names(self) -> list[tuple[str, int | None]]:
        """Every table row name with the year of a document printing it, once each."""
        rows = self.db.execute("SELECT DISTINCT f.row, d.year FROM facts f JOIN documents d ON d.doc_id = f.doc_id "
                               "WHERE f.tbl != '正文'")
        return sorted({(r[0], r[1]) for r in rows}, key=lambda r: (r[0], r[1] or 0))

    def column_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT col FROM facts WHERE tbl != '正文'")]

    def fact_counts(self) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in self.db.execute("SELECT doc_id, count(*) FROM facts GROUP BY doc_id")}

    def tables(self, doc_id: str | None = None) -> list[Table]:
        sql = "SELECT doc_id, number, title, unit, page, columns, table_type, empty FROM tables"
        rows = self.db.execute(sql + " WHERE doc_id=? ORDER BY seq", (doc_id,)) if doc_id else \
            self.db.execute(sql + " ORDER BY seq")
        return [Table(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])), r[6], bool(r[7]))
                for r in rows]

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        return self._chunk_rows(" WHERE doc_id=?", [doc_id]) if doc_id else self._chunk_rows("", [])

    def _chunk_rows(self, where: str, args: list[str]) -> list[Chunk]:
        rows = self.db.execute("SELECT chunk_id, doc_id, kind, text, page, tbl, meta FROM chunks"
                               + where + " ORDER BY seq", args)
        return [Chunk(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6] or "{}")) for r in rows]

    def findings(self, doc_id: str | None = None) -> list[Finding]:
        sql = "SELECT doc_id, kind, ok, message, page, tbl, places, computation FROM findings"
        rows = self.db.execute(sql + " WHERE doc_id=? ORDER BY seq", (doc_id,)) if doc_id else \
            self.db.execute(sql + " ORDER BY seq")
        return [Finding(r[0], r[1], bool(r[2]), r[3], r[4], r[5],
                        tuple(Place(p["page"], p["table"], p["quote"]) for p in json.loads(r[6] or "[]")),
                        r[7] or "") for r in rows]

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.documents() if d.doc_id == doc_id), None)

    def file_rows(self, doc_id: str) -> list[tuple[str, str]]:
        """(sha256, name) of the files a document was read from, by name (code-point order)."""
        rows = self.db.execute("SELECT sha256, name FROM files WHERE doc_id=?", (doc_id,))
        return sorted(((r[0], r[1]) for r in rows), key=lambda r: (r[1], r[0]))

    def files(self, doc_id: str) -> list[str]:
        return [name for _, name in self.file_rows(doc_id)]

    def extractor_stamps(self) -> dict[str, str]:
        """doc_id → the version of the extractor that read it ("" before stamps existed)."""
        return {r[0]: r[1] or "" for r in self.db.execute("SELECT doc_id, extractor FROM documents")}

    def originals(self) -> list[tuple[str, str, int]]:
        """(sha256, name, size) of every original file kept, by name."""
        rows = self.db.execute("SELECT sha256, name, size FROM originals").fetchall()
        return sorted(((r[0], r[1], int(r[2])) for r in rows), key=lambda r: (r[1], r[0]))

    def original(self, sha256: str) -> bytes | None:
        row = self.db.execute("SELECT content FROM originals WHERE sha256=?", (sha256,)).fetchone()
        return bytes(row[0]) if row else None

    def taught_words(self) -> list[tuple[str, str, str]]:
        """(said, means, kind) in force: what the question path links like its own vocabulary."""
        return taught_words(self.db)

    def teach(self, said: str, means: str, kind: str, who: str) -> Taught:
        """A taught wording; the generation changes, so every engine reloads with it."""
        with self._transaction() as db:
            entry = add_taught(db, said, means, kind, who)
            self._bump(db)
        return entry

    def untaught(self, taught_id: str, who: str) -> Taught | None:
        with self._transaction() as db:
            entry = undo_taught(db, taught_id, who)
            if entry is not None:
                self._bump(db)
        return entry

    def record(self, who: str, action: str, target: str, result: str, detail: dict[str, Any] | None = None) -> None:
        """A line of the activity record (ingest.records)."""
        record_activity(self.db, who, action, target, result, detail)

    def activity(self, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
        return activity(self.db, limit, offset)

    def close(self) -> None:
        self.db.close()


def _places_json(places: tuple[Place, ...]) -> str | None:
    if not places:
        return None
    return json.dumps([{"page": p.page, "table": p.table, "quote": p.quote} for p in places], ensure_ascii=False)

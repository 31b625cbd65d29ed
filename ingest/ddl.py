"""The store's tables and indexes, the same text on SQLite and PostgreSQL, and the migration
of data dirs that earlier versions wrote.

Rows of `tables`, `facts`, `chunks` and `findings` carry `seq`, their place in the order
they were written: SQLite hands rows back in that order by itself (rowid), PostgreSQL in
whatever order its heap holds them, and the engine's choices among equal candidates
follow the order it reads facts in. Reads say `ORDER BY seq`, so both databases answer
alike.
"""

from __future__ import annotations

from ingest.db import Database, statements

TABLES = """
CREATE TABLE IF NOT EXISTS documents (doc_id TEXT PRIMARY KEY, title TEXT, unit TEXT,
  year INTEGER, kind TEXT, source TEXT, sha256 TEXT, pages INTEGER, region TEXT);
CREATE TABLE IF NOT EXISTS files (sha256 TEXT PRIMARY KEY, doc_id TEXT, name TEXT);
CREATE TABLE IF NOT EXISTS tables (doc_id TEXT, number TEXT, title TEXT, unit TEXT,
  page INTEGER, columns TEXT, table_type TEXT, empty INTEGER, seq BIGINT);
CREATE TABLE IF NOT EXISTS facts (doc_id TEXT, tbl TEXT, code TEXT, row TEXT, col TEXT,
  value TEXT, unit TEXT, page INTEGER, quote TEXT, table_type TEXT, section TEXT, source TEXT,
  seq BIGINT, labels TEXT, confidence TEXT);
CREATE TABLE IF NOT EXISTS chunks (chunk_id TEXT PRIMARY KEY, doc_id TEXT, kind TEXT,
  text TEXT, page INTEGER, tbl TEXT, meta TEXT, seq BIGINT);
CREATE TABLE IF NOT EXISTS findings (doc_id TEXT, kind TEXT, ok INTEGER, message TEXT,
  page INTEGER, tbl TEXT, seq BIGINT, places TEXT, computation TEXT);
CREATE TABLE IF NOT EXISTS vector_outbox (chunk_id TEXT PRIMARY KEY, op TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS originals (sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, size BIGINT NOT NULL,
  content BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS taught (taught_id TEXT PRIMARY KEY, said TEXT NOT NULL, means TEXT NOT NULL,
  kind TEXT NOT NULL, who TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, undone_by TEXT,
  undone_at DOUBLE PRECISION);
CREATE TABLE IF NOT EXISTS activity (at DOUBLE PRECISION NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,
  target TEXT NOT NULL, result TEXT NOT NULL, detail TEXT NOT NULL, seq BIGINT NOT NULL);
"""
INDEXES = """
CREATE INDEX IF NOT EXISTS facts_doc ON facts(doc_id);
CREATE INDEX IF NOT EXISTS facts_row_tbl ON facts(row, tbl);
CREATE INDEX IF NOT EXISTS facts_col_tbl ON facts(col, tbl);
CREATE INDEX IF NOT EXISTS facts_seq ON facts(seq);
CREATE INDEX IF NOT EXISTS documents_unit ON documents(unit);
CREATE INDEX IF NOT EXISTS files_doc ON files(doc_id);
CREATE INDEX IF NOT EXISTS tables_doc ON tables(doc_id);
CREATE INDEX IF NOT EXISTS tables_seq ON tables(seq);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS chunks_seq ON chunks(seq);
CREATE INDEX IF NOT EXISTS findings_doc ON findings(doc_id);
CREATE INDEX IF NOT EXISTS findings_seq ON findings(seq);
CREATE INDEX IF NOT EXISTS activity_seq ON activity(seq);
"""
ORDERED = ("tables", "facts", "chunks", "findings")  # rows carry seq
# Columns later versions added; `extractor` stamps a document with the reading code's version.
ADDED = (("facts", "source TEXT"), *((t, "seq BIGINT") for t in ORDERED),
         ("facts", "labels TEXT"), ("findings", "places TEXT"), ("findings", "computation TEXT"),
         ("documents", "extractor TEXT"), ("facts", "confidence TEXT"))
NAMES = {"meta", "vector_outbox", "originals", "taught", "activity", *(s.split()[5] for s in statements(INDEXES))}


def ensure_schema(db: Database) -> None:
    """Create what is missing; a current store is only read."""
    if NAMES <= db.names() and all(_has(db, table, column) for table, column in ADDED):
        return
    db.apply_schema(TABLES, _migrate)


def _has(db: Database, table: str, column: str) -> bool:
    return column.split()[0] in db.columns(table)


def _migrate(db: Database) -> None:
    for table, column in ADDED:
        if not _has(db, table, column):
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
            if column.startswith("seq") and db.dialect == "sqlite":
                db.execute(f"UPDATE {table} SET seq = rowid")  # the order SQLite kept them in
    for statement in statements(INDEXES):
        db.execute(statement)


def next_seq(db: Database, table: str) -> int:
    """The first free place in `table`'s order (inside the writer's transaction)."""
    row = db.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {table}").fetchone()
    return int(row[0]) + 1

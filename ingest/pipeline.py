"""ingest_paths: files → pages → clean → tables/prose → facts, chunks, audit → store."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.audit import audit_document
from ingest.chunks import prose_chunks, row_chunks
from ingest.clean import clean_pages
from ingest.errors import IngestError, NotADisclosure
from ingest.facts import code_names, table_facts, zero_funds
from ingest.identify import identify
from ingest.model import Document, content_id
from ingest.prose import paragraphs, prose_facts
from ingest.read import file_sha256, read_pages
from ingest.store import Store
from ingest.tables import find_tables

SUFFIXES = (".pdf", ".txt", ".text")  # a folder's README or notes are not disclosures


@dataclass
class FileResult:
    path: str
    doc_id: str = ""
    title: str = ""
    tables: int = 0
    tables_by_type: dict[str, int] = field(default_factory=dict)
    facts: int = 0
    chunks: int = 0
    findings: int = 0
    problems: int = 0
    seconds: float = 0.0
    error: str = ""
    unchanged: bool = False


def expand(paths: list[Path]) -> list[Path]:
    """Files named, and the disclosure files inside folders named, in a stable order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES)
        else:
            out.append(p)
    return out


def ingest_paths(paths: list[Path], store: Store,
                 progress: Callable[[FileResult], None] | None = None) -> list[FileResult]:
    results = []
    for path in expand(paths):
        result = ingest_file(path, store)
        results.append(result)
        if progress:
            progress(result)
    return results


def ingest_file(path: Path, store: Store) -> FileResult:
    """Ingest one file; an error is reported in the result and nothing stored changes."""
    started = time.perf_counter()
    result = FileResult(str(path))
    try:
        if not path.exists():
            raise IngestError(f"{path}: no such file")
        sha = file_sha256(path)
        known = store.doc_for_file(sha)
        if known:
            result.doc_id, result.unchanged = known, True
            return result
        _ingest(path, sha, store, result)
    except IngestError as exc:
        result.error = str(exc)
    finally:
        result.seconds = time.perf_counter() - started
    return result


def _ingest(path: Path, sha: str, store: Store, result: FileResult) -> None:
    pages = clean_pages(read_pages(path))
    ident = identify(pages, path.name)
    raw_tables, prose_lines = find_tables(pages)
    paras = paragraphs(prose_lines)
    doc_id = content_id(ident.unit, ident.year, ident.kind, ident.scope)
    pfacts = prose_facts(doc_id, paras, ident.unit)
    if not raw_tables and not pfacts:
        raise NotADisclosure(f"{path.name}: no budget table or budget figure found; "
                             "is it a 预算/决算 disclosure?")
    doc = Document(doc_id, ident.title, ident.unit, ident.year, ident.kind, path.name, sha,
                   len(pages), ident.region)
    zero, names = zero_funds(raw_tables), code_names(raw_tables)
    tables, facts, findings = [], [], []
    for raw in raw_tables:
        table, table_facts_, table_findings = table_facts(doc_id, raw, zero, names)
        tables.append(table)
        facts += table_facts_
        findings += table_findings
    facts += pfacts
    findings += audit_document(doc_id, facts)
    chunks = prose_chunks(doc_id, paras) + row_chunks(doc_id, tables, facts)
    store.save(doc, [(sha, path.name)], tables, facts, chunks, findings)
    result.doc_id, result.title = doc_id, doc.title
    result.tables = len(tables)
    result.tables_by_type = dict(Counter(t.table_type for t in tables))
    result.facts, result.chunks = len(facts), len(chunks)
    result.findings = len(findings)
    result.problems = sum(1 for f in findings if not f.ok)

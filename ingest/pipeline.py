"""ingest_paths: files → pages → clean → tables/prose → facts, chunks, audit → store."""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from ingest.audit import audit_document
from ingest.catalogue import check_catalogue, contents_entries, list_message, listed_entries
from ingest.chunks import prose_chunks, row_chunks
from ingest.clean import clean_pages
from ingest.codes import repair_codes
from ingest.digits import confirm_agreeing
from ingest.errors import IngestError, NotADisclosure
from ingest.examine import examine_prose
from ingest.facts import code_names, placed_facts, table_facts, zero_funds
from ingest.forms import form_facts, is_form
from ingest.grid import find_grid_tables, is_pdf
from ingest.identify import Identity, identify
from ingest.model import Chunk, Document, Fact, Finding, Page, Table, content_id
from ingest.names import unit_key
from ingest.prose import paragraphs, prose_facts
from ingest.read import file_encoding, file_sha256, read_pages
from ingest.schemas import squash
from ingest.store import Store
from ingest.tables import find_tables
from ingest.totals import judge_rounding

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
    identity: str = ""  # what was decided: unit, year, kind, scope and where it was read
    replaced: list[str] = field(default_factory=list)  # earlier files of this document it replaces
    catalogue: str = ""  # expected tables found, empty and missing
    missing: int = 0
    encoding: str = ""  # "PDF", or the text encoding the file was read in
    vectors_pending: int = 0  # stored, but these chunk vectors wait in the outbox (the index failed)


def expand(paths: list[Path]) -> list[Path]:
    """Files named, and the disclosure files inside folders named, in a stable order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES)
        else:
            out.append(p)
    return out


@dataclass
class Prepared:
    """A file read and parsed, merged with what the store holds of its document: what
    `Store.save` writes."""

    doc: Document
    files: list[tuple[str, str]]
    tables: list[Table]
    facts: list[Fact]
    chunks: list[Chunk]
    findings: list[Finding]
    absorb: tuple[str, ...]
    identity: str = ""  # what was decided, for the report
    replaced: list[str] = field(default_factory=list)
    catalogue: str = ""
    missing: int = 0
    encoding: str = ""


OnPage = Callable[[int, int], None]


class Reading(Protocol):
    """A file being read, perhaps ahead of its turn: `finish` merges it with what the store
    holds of its document by then (its turn has come), `cancel` drops it."""

    def finish(self, on_page: OnPage | None) -> Prepared: ...
    def cancel(self) -> None: ...


Reader = Callable[[Path, str, Store], Reading]  # starts a Reading of (path, sha256, store)

# Files read ahead of their turn while one is merged and saved, so that every core reads
# (ingest.worker reads each in a process of its own, which waits once it has read).
READ_AHEAD = min(3, max(1, (os.cpu_count() or 2) - 1))


class ReadHere:
    """A Reading in this process, when its turn comes (no limits, no read-ahead)."""

    def __init__(self, path: Path, sha: str, store: Store) -> None:
        self.path, self.sha, self.store = path, sha, store

    def finish(self, on_page: OnPage | None) -> Prepared:
        return prepare(self.path, self.sha, self.store, on_page)

    def cancel(self) -> None:
        pass


def ingest_paths(paths: list[Path], store: Store,
                 progress: Callable[[FileResult], None] | None = None,
                 on_page: Callable[[Path, int, int], None] | None = None,
                 parse: Reader | None = None, ahead: int = READ_AHEAD) -> list[FileResult]:
    """Ingest files and folders in order; `progress` hears of each file done, `on_page` of
    each PDF page read; `parse` starts a file's reading (ingest.worker.isolated: in a
    process with limits), up to `ahead` files before their turn. The passages of all the
    files are embedded together at the end, on cores no reading needs any more; a result's
    `vectors_pending` is set then (0 unless the vector index failed)."""
    files, reader = expand(paths), parse or ReadHere
    early: dict[int, tuple[str, Reading] | None] = {}
    results = []
    try:
        for i, path in enumerate(files):
            for j in range(i + 1, min(i + 1 + ahead, len(files))):
                if j not in early:
                    early[j] = _read_ahead(files[j], store, reader)
            pages = (lambda done, total, p=path: on_page(p, done, total)) if on_page else None
            result = _ingest(path, store, pages, reader, early.pop(i, None), embed=False)
            results.append(result)
            if progress:
                progress(result)
    finally:
        for started in early.values():
            if started is not None:
                started[1].cancel()
    owed = store.embed_owed() if any(not r.error and not r.unchanged for r in results) else {}
    for r in results:
        r.vectors_pending = owed.get(r.doc_id, 0) if not r.error and not r.unchanged else 0
    return results


def _read_ahead(path: Path, store: Store, reader: Reader) -> tuple[str, Reading] | None:
    """The file's reading started now, unless it is stored already (a hint: its turn asks
    the store again) or cannot be opened (its turn says why)."""
    try:
        sha = file_sha256(path) if path.is_file() else ""
    except OSError:
        return None
    if not sha or store.doc_for_file(sha):
        return None
    return sha, reader(path, sha, store)


def ingest_file(path: Path, store: Store, on_page: OnPage | None = None,
                parse: Reader | None = None) -> FileResult:
    """Ingest one file; an error is reported in the result and nothing stored changes."""
    return _ingest(path, store, on_page, parse or ReadHere, None)


def _ingest(path: Path, store: Store, on_page: OnPage | None, reader: Reader,
            early: tuple[str, Reading] | None, embed: bool = True) -> FileResult:
    """One file, its reading perhaps `early` (started ahead). The data dir's write lock is
    held from the check for a known file to the save, so two processes ingesting into one
    data dir take turns, and a file read ahead is merged with its document as stored then."""
    started = time.perf_counter()
    result = FileResult(str(path))
    try:
        if not path.exists():
            raise IngestError(f"{path}: no such file")
        sha = file_sha256(path)
        with store.lock.hold():
            known = store.doc_for_file(sha)
            if known:
                result.doc_id, result.unchanged = known, True
                return result
            reading = early[1] if early is not None and early[0] == sha else reader(path, sha, store)
            prepared = reading.finish(on_page)
            result.vectors_pending = store.save(
                prepared.doc, prepared.files, prepared.tables, prepared.facts, prepared.chunks,
                prepared.findings, absorb=prepared.absorb, originals=[(sha, path.name, path.read_bytes())],
                embed=embed)
        _describe(prepared, result)
    except IngestError as exc:
        result.error = str(exc)
    finally:
        if early is not None:
            early[1].cancel()  # done with, or not used (the file is known, or changed since)
        result.seconds = time.perf_counter() - started
    return result


def _describe(p: Prepared, result: FileResult) -> None:
    result.doc_id, result.title = p.doc.doc_id, p.doc.title
    result.tables = len(p.tables)
    result.tables_by_type = dict(Counter(t.table_type for t in p.tables))
    result.facts, result.chunks = len(p.facts), len(p.chunks)
    result.findings = len(p.findings)
    result.problems = sum(1 for f in p.findings if not f.ok)
    result.identity, result.replaced = p.identity, p.replaced
    result.catalogue, result.missing = p.catalogue, p.missing
    result.encoding = p.encoding


def prepare(path: Path, sha: str, store: Store, on_page: OnPage | None = None) -> Prepared:
    """Read and parse a file, and merge it with the document it belongs to (the store is
    only read)."""
    return assemble(path, sha, read_file(path, on_page), store)


def read_file(path: Path, on_page: OnPage | None = None) -> list[Page]:
    """The file's pages, cleaned: the slow part (a PDF's layout, OCR), and it needs no
    store, so it may run before the file's turn."""
    return clean_pages(read_pages(path, on_page))


def assemble(path: Path, sha: str, pages: list[Page], store: Store) -> Prepared:
    """The pages parsed, and merged with the document they belong to (the store is only
    read)."""
    result = FileResult(path.name)  # what the report says besides the counts
    ident = identify(pages, path.name)
    raw_tables, prose_lines = find_grid_tables(pages) if is_pdf(pages) else find_tables(pages)
    raw_tables = [t for t in raw_tables if t.table_type is not None]
    contents = _contents_pages(pages)
    paras = paragraphs([(page, line) for page, line in prose_lines if page not in contents])
    doc_id, adopt = _document_id(ident, store)
    pfacts = prose_facts(doc_id, paras, ident.unit)
    if not raw_tables and not pfacts:
        raise NotADisclosure(f"{path.name}: no budget table or budget figure found; "
                             "is it a 预算/决算 disclosure?")
    code_findings = [f for raw in raw_tables for f in repair_codes(doc_id, raw)]
    zero, names = zero_funds(raw_tables), code_names(raw_tables)
    tables, facts, findings = [], [], list(code_findings)
    for raw in raw_tables:
        if is_form(raw) and is_pdf(pages):
            form, form_facts_, form_findings = form_facts(doc_id, raw, pages)
            tables += [form] if form is not None else []
            facts += form_facts_
            findings += form_findings
            continue
        if any(r.placed is not None for r in raw.rows) or (raw.empty and is_pdf(pages)):
            table, table_facts_, table_findings = placed_facts(doc_id, raw, names)
        else:
            table, table_facts_, table_findings = table_facts(doc_id, raw, zero, names)
        tables.append(table)
        facts += table_facts_
        findings += table_findings
    findings = judge_rounding(findings)
    scanned = {p.number for p in pages if p.geometry is not None and p.geometry.scanned}
    facts = confirm_agreeing([replace(f, source=path.name) for f in facts + pfacts], scanned)
    chunks = [replace(c, meta={**c.meta, "source": path.name})
              for c in prose_chunks(doc_id, paras) + row_chunks(doc_id, tables, facts)]
    files = [(sha, path.name)]
    doc = Document(doc_id, ident.title, ident.unit, ident.year, ident.kind, path.name, sha,
                   len(pages), ident.region)
    labels = {f"{t.number} {t.title}".strip() for t in tables}
    for old_id in dict.fromkeys([doc_id, *adopt]):  # other files of this unit, year and kind: one document
        earlier = store.document(old_id)
        replaced = {path.name} | _same_tables(store.facts(old_id), labels)
        result.replaced += [name for _, name in store.file_rows(old_id) if name in replaced]
        others = [f for f in store.file_rows(old_id) if f[1] not in replaced]  # a new version replaces its file
        if earlier is None or not others:
            continue
        files += others
        tables = [replace(t, doc_id=doc_id) for t in store.tables(old_id)
                  if f"{t.number} {t.title}".strip() not in labels] + tables
        kept = [replace(f, doc_id=doc_id) for f in store.facts(old_id)
                if f.source not in replaced and f.table not in labels]
        facts = kept + facts
        old_chunks = [c for c in store.chunks(old_id) if c.meta.get("source") not in replaced]
        chunks = [replace(c, doc_id=doc_id, chunk_id=content_id(doc_id, c.kind, c.text)) for c in old_chunks] + chunks
        reach: dict[str, int] = {}  # the kept files' pages, as far as their facts and passages go
        spots = [(f.source, f.page) for f in kept] + [(c.meta.get("source", ""), c.page) for c in old_chunks]
        for source, page in spots:
            reach[source] = max(reach.get(source, 0), page or 0)
        doc = _merged(earlier, doc, ident, [name for _, name in others], sum(reach.values()))
        findings = [replace(f, doc_id=doc_id) for f in store.findings(old_id)
                    if f.check in ("totals", "parse", "code") and f.table not in labels] + findings
    findings += audit_document(doc_id, facts) + examine_prose(doc_id, facts, doc.year)
    statements = {t.table_type.name: squash(t.notes[0]) if t.notes else "空白表"
                  for t in raw_tables if t.empty and t.table_type is not None}
    findings += _catalogue(doc_id, ident, pages, tables, result, store, [doc_id, *adopt], statements)
    scope = ident.scope or next((s for s in ("部门", "单位") if s in doc.title), "")
    decided = Identity(doc.unit, doc.year, doc.kind, scope, doc.region, ident.evidence).describe()
    findings.append(Finding(doc_id, "identity", True, decided))
    absorbed = tuple(i for i in adopt if i != doc_id and store.document(i) is not None)
    return Prepared(doc, files, tables, facts, chunks, findings, absorbed,
                    decided, result.replaced, result.catalogue, result.missing, file_encoding(path))


def _catalogue(doc_id: str, ident: Identity, pages: list[Page], tables: list[Table],
               result: FileResult, store: Store, adopt: list[str], statements: dict[str, str]) -> list[Finding]:
    """The document's tables against its own contents page, or the one another file of the
    document printed (a prose half lists the tables of its tables half), or the standard
    catalogue."""
    own = contents_entries(pages) or listed_entries([f.message for old in adopt for f in store.findings(old)
                                                     if f.check == "catalogue" and f.ok])
    if not tables:
        listed = f"（目录列出 {len(own)} 张表，应在同一文件的另一部分）" if own else ""
        result.catalogue = "本文件无表格" + listed
        return [Finding(doc_id, "catalogue", True, list_message(own), own[0].page)] if own else []
    cat = check_catalogue(ident.kind, own, [(t.table_type, t.empty) for t in tables])
    result.catalogue, result.missing = cat.summary(), len(cat.missing)
    findings = [Finding(doc_id, "catalogue", False,
                        f"目录第{e.page}页列出的「{e.title}」未找到，也无空表说明" if e.page else
                        f"标准目录中的「{e.title}」未找到，也无空表说明", e.page, None) for e in cat.missing]
    findings += [Finding(doc_id, "catalogue", True, f"{name} 为空表：{statements.get(name, '空白表')[:60]}")
                 for name in cat.empty]
    findings.append(Finding(doc_id, "catalogue", True, cat.summary()))
    if own:
        findings.append(Finding(doc_id, "catalogue", True, list_message(own), own[0].page))
    return findings


def _same_tables(facts: list[Fact], labels: set[str]) -> set[str]:
    """Earlier files whose tables the new file prints again: a copy or a new version."""
    printed: dict[str, set[str]] = {}
    for f in facts:
        if f.table != "正文":
            printed.setdefault(f.source, set()).add(f.table)
    return {name for name, tables in printed.items() if tables and tables <= labels}


def _document_id(ident: Identity, store: Store) -> tuple[str, list[str]]:
    """The document a file belongs to, and documents it absorbs. A unit's 部门 and 单位
    disclosures of one year are two documents; a file that states no scope (a tables-only
    half) joins the one scoped document there is, and a scoped file absorbs such a half."""
    key = unit_key(ident.unit)
    bare = content_id(key, ident.year, ident.kind, "")
    if ident.scope:
        return content_id(key, ident.year, ident.kind, ident.scope), [bare]
    scoped = [i for i in (content_id(key, ident.year, ident.kind, s) for s in ("部门", "单位"))
              if store.document(i) is not None]
    return (scoped[0] if len(scoped) == 1 else bare), []


def _contents_pages(pages: list[Page]) -> set[int]:
    """Pages that are a table of contents: their headings would answer every question."""
    out = set()
    for p in pages:
        lines = [re.sub(r"\s+", "", x) for x in p.text.split("\n") if x.strip()]
        if any(x in ("目录", "目次") for x in lines[:3]):
            out.add(p.number)
    return out


def _merged(earlier: Document, new: Document, ident: Identity, kept: list[str], kept_pages: int) -> Document:
    """One document from several files: the fuller name of the unit, the files it keeps and
    the new one, all their pages."""
    unit = max(earlier.unit, new.unit, key=len)
    scope = ident.scope or next((s for s in ("部门", "单位") if s in earlier.title), "")
    title = Identity(unit, new.year, new.kind, scope, new.region).title
    sources = sorted({*kept, new.source})
    return replace(new, title=title, unit=unit, source="; ".join(sources), sha256=earlier.sha256,
                   pages=kept_pages + new.pages)

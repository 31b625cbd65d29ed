"""`budget-qa reingest`: read every stored original again with the current extractor, for
the documents a different version read (the stamp on each document), or all of them, and
say what changed: facts added, removed and changed, by document."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import IngestError
from ingest.model import Fact
from ingest.pipeline import Reader, ReadHere
from ingest.store import Store
from ingest.version import extractor_version

Key = tuple[str, str, str, str]


@dataclass
class Reread:
    doc_id: str
    title: str
    was: str  # the extractor version that read it before
    facts_before: int = 0
    facts_after: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    examples: list[str] = field(default_factory=list)
    error: str = ""
    new_doc_id: str = ""

    def line(self) -> str:
        if self.error:
            return f"✗ {self.title} [{self.doc_id}]: {self.error}"
        moved = f" → [{self.new_doc_id}]" if self.new_doc_id and self.new_doc_id != self.doc_id else ""
        same = "unchanged" if not (self.added or self.removed or self.changed) else \
            f"{self.added} added, {self.removed} removed, {self.changed} changed"
        return (f"✓ {self.title} [{self.doc_id}]{moved}: {self.facts_before} → {self.facts_after} facts, {same}"
                + "".join(f"\n    {e}" for e in self.examples))


def _keyed(facts: list[Fact]) -> dict[Key, str]:
    """Each cell's figures; a cell a document states twice (a table and its prose) keeps both."""
    cells: dict[Key, list[str]] = {}
    for f in facts:
        cells.setdefault((f.table, f.code or "", f.row, f.column), []).append(f"{f.value} {f.unit}")
    return {k: "、".join(sorted(v)) for k, v in cells.items()}


def reingest(store: Store, everything: bool = False, parse: Reader | None = None,
             on_document: Callable[[Reread], None] | None = None) -> list[Reread]:
    """Re-read the documents an older extractor read (all with `everything`)."""
    current = extractor_version()
    stamps = store.extractor_stamps()
    out = []
    for doc in store.documents():
        if not everything and stamps.get(doc.doc_id) == current:
            continue
        result = _reread(store, doc.doc_id, doc.title, stamps.get(doc.doc_id, ""), parse or ReadHere)
        out.append(result)
        if on_document is not None:
            on_document(result)
    return out


def _reread(store: Store, doc_id: str, title: str, was: str, parse: Reader) -> Reread:
    result = Reread(doc_id, title, was or "unstamped")
    old = store.facts(doc_id)
    before = _keyed(old)
    result.facts_before = len(old)
    files = store.file_rows(doc_id)
    if any(store.original(sha) is None for sha, _ in files):
        result.error = "its original file is not kept (ingested before originals were): ingest the file again"
        return result
    with store.lock.hold(), tempfile.TemporaryDirectory(prefix="budgetqa-reingest-") as tmp:
        now = doc_id
        for sha, name in files:
            path = Path(tmp) / name
            path.write_bytes(store.original(sha) or b"")
            try:
                p = parse(path, sha, store).finish(None)
            except IngestError as exc:
                result.error = str(exc)
                return result
            absorb = tuple(dict.fromkeys([*p.absorb, *([now] if p.doc.doc_id != now else [])]))
            store.save(p.doc, p.files, p.tables, p.facts, p.chunks, p.findings, absorb=absorb,
                       originals=[(sha, name, path.read_bytes())])
            now = p.doc.doc_id
    new = store.facts(now)
    after = _keyed(new)
    result.new_doc_id, result.facts_after = now, len(new)
    result.added = len(after.keys() - before.keys())
    result.removed = len(before.keys() - after.keys())
    changed = [k for k in before.keys() & after.keys() if before[k] != after[k]]
    result.changed = len(changed)
    result.examples = [f"{k[0]} {k[2]} {k[3]}: {before[k]} → {after[k]}" for k in sorted(changed)[:5]]
    return result

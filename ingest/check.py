"""`budget-qa check`: is the store consistent? The database's own integrity check, the
vectors against the chunks (missing and orphan vectors), the outbox of vector writes still
pending, and the originals of the documents' files. `repair` reconciles the vectors (the
outbox replayed, missing ones embedded, orphans deleted) and checks again."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ingest.store import Store


@dataclass
class CheckReport:
    integrity: str = "ok"
    missing_vectors: int = 0
    orphan_vectors: int = 0
    pending_outbox: int = 0
    documents: int = 0
    files_without_original: list[str] = field(default_factory=list)  # ingested before originals were kept
    vectors_checked: bool = True
    repaired: dict[str, int] | None = None

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and not (self.missing_vectors or self.orphan_vectors or self.pending_outbox)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, **asdict(self)}

    def lines(self) -> list[str]:
        out = [f"database integrity: {self.integrity}", f"documents: {self.documents}"]
        if self.vectors_checked:
            out += [f"vectors missing: {self.missing_vectors}", f"orphan vectors: {self.orphan_vectors}"]
        out.append(f"vector writes pending in the outbox: {self.pending_outbox}")
        if self.files_without_original:
            out.append(f"files without a kept original (ingested before originals were kept; reingest cannot "
                       f"re-read them): {len(self.files_without_original)}")
        if self.repaired is not None:
            out.append(f"repaired: {self.repaired['added']} vectors added, {self.repaired['deleted']} deleted")
        out.append("consistent" if self.ok else "NOT consistent: run `budget-qa check --repair`")
        return out


def _integrity(store: Store) -> str:
    if store.db.dialect != "sqlite":
        store.db.execute("SELECT count(*) FROM documents").fetchone()  # the server answers and the table reads
        return "ok"
    rows = [r[0] for r in store.db.execute("PRAGMA integrity_check")]
    return "ok" if rows == ["ok"] else "; ".join(rows[:10])


def check_store(store: Store, repair: bool = False) -> CheckReport:
    repaired = None
    if repair and store.vectors is not None:
        added, deleted = store.reconcile()
        repaired = {"added": added, "deleted": deleted}
    report = CheckReport(integrity=_integrity(store), pending_outbox=store.pending_vectors(),
                         documents=len(store.documents()), vectors_checked=store.vectors is not None,
                         repaired=repaired)
    missing, orphans = store.vector_differences()
    report.missing_vectors, report.orphan_vectors = len(missing), len(orphans)
    kept = {sha for sha, _, _ in store.originals()}
    report.files_without_original = sorted(name for d in store.documents() for sha, name in store.file_rows(d.doc_id)
                                           if sha not in kept)
    return report

"""What staff changed, kept in the store's database beside the facts: taught wordings (a
phrase people say for a row or a unit, with who taught it, when, and who undid it) and
the activity record (every write: who, when, what, with what result). Both databases
run this SQL unchanged (ingest.db)."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from ingest.db import Database
from ingest.ddl import next_seq

KINDS = ("item", "unit")


@dataclass(frozen=True)
class Taught:
    taught_id: str
    said: str
    means: str
    kind: str  # item | unit
    who: str
    at: float
    undone_by: str | None = None
    undone_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.taught_id, "said": self.said, "means": self.means, "kind": self.kind,
                "who": self.who, "at": self.at, "undone_by": self.undone_by, "undone_at": self.undone_at}


def taught_words(db: Database) -> list[tuple[str, str, str]]:
    """(said, means, kind) of every wording in force, oldest first."""
    rows = db.execute("SELECT said, means, kind FROM taught WHERE undone_at IS NULL ORDER BY at, taught_id")
    return [(r[0], r[1], r[2]) for r in rows]


def taught_entries(db: Database) -> list[Taught]:
    """Every wording ever taught, undone ones too, newest first."""
    rows = db.execute("SELECT taught_id, said, means, kind, who, at, undone_by, undone_at FROM taught "
                      "ORDER BY at DESC, taught_id")
    return [Taught(*r) for r in rows]


def add_taught(db: Database, said: str, means: str, kind: str, who: str) -> Taught:
    """Inside the caller's transaction."""
    entry = Taught(uuid.uuid4().hex[:12], said, means, kind, who, time.time())
    db.execute("INSERT INTO taught (taught_id, said, means, kind, who, at) VALUES (?, ?, ?, ?, ?, ?)",
               (entry.taught_id, said, means, kind, who, entry.at))
    return entry


def undo_taught(db: Database, taught_id: str, who: str) -> Taught | None:
    """The wording marked undone (kept, for the record); None if it is unknown or undone already."""
    n = db.execute("UPDATE taught SET undone_by=?, undone_at=? WHERE taught_id=? AND undone_at IS NULL",
                   (who, time.time(), taught_id)).rowcount
    if not n:
        return None
    return next(t for t in taught_entries(db) if t.taught_id == taught_id)


def record_activity(db: Database, who: str, action: str, target: str, result: str,
                    detail: dict[str, Any] | None = None) -> None:
    """One line of the activity record, in a transaction of its own."""
    with db.transaction() as tx:
        tx.execute("INSERT INTO activity (at, who, action, target, result, detail, seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (time.time(), who, action, target, result, json.dumps(detail or {}, ensure_ascii=False),
                    next_seq(tx, "activity")))


def activity(db: Database, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
    """The record, newest first."""
    rows = db.execute("SELECT at, who, action, target, result, detail FROM activity ORDER BY seq DESC "
                      "LIMIT ? OFFSET ?", (limit, offset))
    return [{"at": r[0], "who": r[1], "action": r[2], "target": r[3], "result": r[4],
             "detail": json.loads(r[5] or "{}")} for r in rows]

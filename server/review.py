"""The console's 问题 page: logged questions read back with their feedback, filtered by
status and date, grouped by wording — the same normalised text first, then wordings whose
embeddings (the shipped model) are nearly the same — with counts, newest first."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ingest.db import Database

Embed = Callable[[list[str]], list[list[float]]]
TRAILING = re.compile(r"[\s?？。.!！~～、，,;；:：]+$")
SPACES = re.compile(r"\s+")
MAX_ENTRIES = 50_000  # entries one review reads at most, newest first


def wording(question: str) -> str:
    """The question as grouped: NFKC (full-width forms), lower case, no spaces, no end marks."""
    text = unicodedata.normalize("NFKC", question).lower()
    return SPACES.sub("", TRAILING.sub("", text))


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Logged:
    message_id: str
    at: float
    channel: str
    question: str
    wording: str
    status: str
    answer: str
    docs: list[str]
    rating: str | None
    note: str | None


@dataclass
class Group:
    question: str  # the wording asked most often
    status: str  # of the newest entry
    count: int = 0
    last_seen: float = 0.0
    up: int = 0
    down: int = 0
    wordings: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    docs: Counter[str] = field(default_factory=Counter)
    answer: str = ""  # the newest entry's
    message_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "status": self.status, "count": self.count,
                "last_seen": iso(self.last_seen), "up": self.up, "down": self.down,
                "wordings": [w for w, _ in self.wordings.most_common()], "statuses": dict(self.statuses),
                "notes": self.notes[:20], "docs": [d for d, _ in self.docs.most_common()],
                "answer": self.answer, "message_ids": self.message_ids[:50]}


def read_logged(db: Database, statuses: Sequence[str] = (), since: float | None = None,
                until: float | None = None) -> list[Logged]:
    """Entries newest first; `statuses` may hold "down" for the thumbed-down ones."""
    where: list[str] = []
    args: list[Any] = []
    if since is not None:
        where.append("q.at >= ?")
        args.append(since)
    if until is not None:
        where.append("q.at < ?")
        args.append(until)
    wanted = [s for s in statuses if s != "down"]
    ors = []
    if wanted:
        ors.append(f"q.status IN ({','.join('?' * len(wanted))})")
        args += wanted
    if "down" in statuses:
        ors.append("f.rating = 'down'")
    if ors:
        where.append("(" + " OR ".join(ors) + ")")
    sql = ("SELECT q.message_id, q.at, q.channel, q.question, q.wording, q.status, q.answer, q.docs, "
           "f.rating, f.note FROM question_log q LEFT JOIN feedback f ON f.message_id = q.message_id"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY q.at DESC LIMIT ?")
    rows = db.execute(sql, [*args, MAX_ENTRIES])
    return [Logged(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7] or "[]"), r[8], r[9]) for r in rows]


def group_questions(entries: list[Logged], embed: Embed | None = None, similarity: float = 0.98) -> list[Group]:
    """Groups newest first. Wordings are clustered most asked first: each joins the first
    cluster whose leading wording's vector is at least `similarity` (cosine) from its own."""
    by_wording: dict[str, list[Logged]] = {}
    for e in entries:
        by_wording.setdefault(e.wording, []).append(e)
    order = sorted(by_wording, key=lambda w: (-len(by_wording[w]), w))
    leader = _cluster(order, embed, similarity)
    groups: dict[str, Group] = {}
    for e in entries:  # newest first
        key = leader[e.wording]
        g = groups.get(key)
        if g is None:
            g = groups[key] = Group(by_wording[key][0].question, e.status, last_seen=e.at, answer=e.answer)
        g.count += 1
        g.up += e.rating == "up"
        g.down += e.rating == "down"
        g.wordings[e.question] += 1
        g.statuses[e.status] += 1
        g.docs.update(e.docs)
        g.message_ids.append(e.message_id)
        if e.note:
            g.notes.append(e.note)
    return sorted(groups.values(), key=lambda g: -g.last_seen)


def _cluster(order: list[str], embed: Embed | None, similarity: float) -> dict[str, str]:
    if embed is None or len(order) < 2:
        return {w: w for w in order}
    import numpy as np

    vectors = np.asarray(embed(order), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    leaders: list[int] = []
    out: dict[str, str] = {}
    for i, w in enumerate(order):
        best = max(leaders, key=lambda j: float(vectors[i] @ vectors[j]), default=None)
        if best is not None and float(vectors[i] @ vectors[best]) >= similarity:
            out[w] = order[best]
        else:
            leaders.append(i)
            out[w] = w
    return out


class EmbeddingCache:
    """Vectors of wordings already seen by this process: a review embeds only new ones, in
    batches."""

    def __init__(self, embed: Embed, limit: int = 20_000) -> None:
        self._embed, self._limit = embed, limit
        self._seen: dict[str, list[float]] = {}

    def __call__(self, texts: list[str]) -> list[list[float]]:
        new = [t for t in dict.fromkeys(texts) if t not in self._seen]
        if len(self._seen) + len(new) > self._limit:
            self._seen.clear()
            new = list(dict.fromkeys(texts))
        for start in range(0, len(new), 256):
            part = new[start:start + 256]
            self._seen.update(zip(part, self._embed(part), strict=True))
        return [self._seen[t] for t in texts]

"""The question as a plain value: the items it names, grounded in a document's rows, and the
interpretation (operation + items + documents) that qa.interpret makes, qa.execute runs, a
follow-up edits, tests assert on and every reply carries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

OPS = ("lookup", "sum", "difference", "share", "change", "growth", "completion", "per_unit", "compare", "rank",
       "count", "text")


@dataclass(frozen=True)
class Item:
    """One figure's row, grounded: the document, its vocabulary entry and the column read."""

    said: str  # the words of the question that name it
    doc_id: str
    entry: int  # the entry in the document's vocabulary (qa.vocabulary)
    row: str
    code: str | None
    table: str
    column: str
    score: float = 1.0
    how: str = "exact"
    name: str = ""  # the name that linked it (a topic names a total row: 三公经费 for 合计)

    @property
    def named(self) -> str:
        return self.name or self.row

    def to_json(self) -> dict[str, Any]:
        return {"said": self.said, "row": self.row, "code": self.code, "table": self.table, "column": self.column,
                "doc_id": self.doc_id, "how": self.how}


ITEM_FIELDS = frozenset(f.name for f in fields(Item))


@dataclass(frozen=True)
class Interpretation:
    op: str
    items: tuple[Item, ...]
    docs: tuple[str, ...]
    unit: str | None = None  # the unit the answer is wanted in (元, 万元, 亿元), None: as printed
    score: float = 0.0
    alternatives: int = 0  # other readings scored close to this one
    measure: str | None = None  # 预算 | 决算 | 年初预算 | 调整预算 | 全年预算 | 上年
    direction: str | None = None  # difference, rank, change: "more" | "less"; None: either
    top: int | None = None  # rank: how many
    text_kind: str | None = None  # text: reason | definition | function | composition | use | empty | general
    said: str = ""  # the item phrase as said, for a reply that names what was asked
    scale: str | None = None  # "如果X减少10%": the change applied
    problem: str | None = None  # not_understood | not_disclosed | ambiguous | part_and_whole | …
    detail: str = ""  # what the problem is about (the words not understood, the rows to choose from)
    options: tuple[Item, ...] = ()  # ambiguous: the rows the words name equally well
    part_count: int = 1  # share: how many of the first items add up to the part
    left_out: bool = False  # difference: the first item without the others ("不算会议费", "除了…以外")

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "items": [i.to_json() for i in self.items], "docs": list(self.docs),
                "unit": self.unit, "score": round(self.score, 3), "alternatives": self.alternatives,
                "measure": self.measure, "direction": self.direction, "problem": self.problem}

    def edit(self, **changes: Any) -> Interpretation:
        return replace(self, **changes)

    def to_state(self) -> dict[str, Any]:
        """Everything, for a conversation kept in the database; `from_state` reads it back."""
        return asdict(self)

    @staticmethod
    def from_state(data: dict[str, Any]) -> Interpretation:
        known = {f.name for f in fields(Interpretation)}
        values = {k: v for k, v in data.items() if k in known}
        for key in ("items", "options"):
            values[key] = tuple(Item(**{k: v for k, v in i.items() if k in ITEM_FIELDS}) for i in values.get(key, ()))
        values["docs"] = tuple(values.get("docs", ()))
        return Interpretation(**values)


@dataclass
class Turn:
    """What a conversation remembers of an answered turn: its interpretation and the figures it
    stated (label, value, unit, the fact each came from)."""

    interpretation: Interpretation
    figures: list[Any] = field(default_factory=list)  # qa.calc.Operand

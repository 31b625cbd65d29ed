"""Score table extraction against a cell set (../shared/eval/FORMAT.md, "Cell sets").

A cell is found when a fact of its document has the same amount in the same unit
and the same row (by code or by name); a cell of an unlabeled one-row table needs
only the amount; an empty-table marker needs a table of that type marked empty.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ingest.facts import row_name
from ingest.store import Store


@dataclass
class CellReport:
    total: int = 0
    found: int = 0
    typed: int = 0  # found in a table of the cell's type
    by_doc: Counter[str] = field(default_factory=Counter)
    found_by_doc: Counter[str] = field(default_factory=Counter)
    misses: list[dict[str, Any]] = field(default_factory=list)

    def format(self) -> str:
        lines = [f"cells found: {self.found}/{self.total} = {100 * self.found / max(self.total, 1):.1f} %",
                 f"in a table of the right type: {self.typed}/{self.total} = "
                 f"{100 * self.typed / max(self.total, 1):.1f} %"]
        for doc in sorted(self.by_doc):
            lines.append(f"  {doc}: {self.found_by_doc[doc]}/{self.by_doc[doc]}")
        return "\n".join(lines)


def is_cell_set(path: Path) -> bool:
    with path.open(encoding="utf-8") as f:
        first = json.loads(f.readline() or "{}")
    return "table_type" in first and "value" in first and "turns" not in first


def _norm(name: str) -> str:
    name = row_name(name or "").replace("(", "（").replace(")", "）")
    return re.sub(r"[“”\"、，,：:]", "", name)


def score_cells(store: Store, gold: Path) -> CellReport:
    docs = {}
    for d in store.documents():
        for name in store.files(d.doc_id):
            docs[name] = d.doc_id
    facts: dict[str, list[Any]] = {}
    tables: dict[str, list[Any]] = {}
    report = CellReport()
    for line in gold.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        cell = json.loads(line)
        report.total += 1
        report.by_doc[cell["doc"]] += 1
        doc_id = docs.get(cell["doc"])
        ok = False
        if doc_id is not None:
            if doc_id not in facts:
                facts[doc_id] = store.facts(doc_id)
                tables[doc_id] = store.tables(doc_id)
            ok = _found(cell, facts[doc_id], tables[doc_id])
            typed = _found(cell, [f for f in facts[doc_id] if f.table_type == cell["table_type"]],
                           tables[doc_id])
            report.typed += typed
        if ok:
            report.found += 1
            report.found_by_doc[cell["doc"]] += 1
        else:
            report.misses.append(cell)
    return report


def _found(cell: dict[str, Any], facts: list[Any], tables: list[Any]) -> bool:
    if cell["value"] is None:
        return any(t.empty and t.table_type == cell["table_type"] for t in tables)
    try:
        value = Decimal(str(cell["value"]).replace(",", ""))
    except InvalidOperation:
        return False
    same = [f for f in facts if f.value == value and f.unit == cell["unit"] and f.table != "正文"]
    if cell["row"] is None and cell["code"] is None:
        return bool(same)
    want = _norm(cell["row"] or "")
    for f in same:
        if cell["code"] and f.code == cell["code"]:
            return True
        got = _norm(f.row)
        if want and (got == want or (min(len(got), len(want)) >= 4 and (got in want or want in got))):
            return True
    return False

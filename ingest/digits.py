"""Figures read by OCR, checked by the table's own arithmetic.

OCR slips on digits (3 for 8, 1 for 7, a point it did not see). A scanned table still
says what its figures must be: a parent row is the sum of its children (类 = Σ款, 合计 =
Σ top rows), a total column the sum of its parts (合计 = 基本支出 + 项目支出). Every
identity that holds confirms each figure in it. An identity that fails is repaired when
one figure, changed in one digit (or given the decimal point it lost), makes it hold and
the change is the only one that does, or it mends two identities at once (the cell where
a failing row meets a failing column), and breaks none that held. A figure no identity
confirms stays "unconfirmed" (ingest.model.Fact.confidence).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal

from ingest.audit import in_yuan
from ingest.model import OCR_CONFIRMED, OCR_UNCONFIRMED, Fact

Cell = tuple[int, str]  # (row index, column)
# An identity: the total's cell and its parts' cells; the total equals the sum of the parts.
Identity = tuple[Cell, tuple[Cell, ...]]
ROUNDS = 3  # repairs in a row: each repair may let another be found


@dataclass
class Checked:
    values: list[dict[str, Decimal]]
    confirmed: set[Cell] = field(default_factory=set)
    repairs: list[tuple[Cell, Decimal, Decimal]] = field(default_factory=list)  # cell, read, repaired


def identities(values: list[dict[str, Decimal]], groups: list[tuple[int, list[int]]],
               column_parts: dict[str, tuple[str, ...]]) -> list[Identity]:
    """The sums a table's cells must satisfy: each group's parent over its children, column
    by column, and each row's total column over its part columns."""
    out: list[Identity] = []
    for parent, kids in groups:
        for col in sorted(set(values[parent]) | {c for k in kids for c in values[k]}):
            out.append(((parent, col), tuple((k, col) for k in kids if col in values[k])))
    for i, row in enumerate(values):
        for total, parts in column_parts.items():
            if total in row and any(p in row for p in parts):
                out.append(((i, total), tuple((i, p) for p in parts if p in row)))
    return out


def check_digits(values: list[dict[str, Decimal]], rules: list[Identity], slack: Decimal) -> Checked:
    """Confirm the figures the identities hold for; repair those one digit explains."""
    values = [dict(v) for v in values]
    checked = Checked(values)
    for _ in range(ROUNDS):
        repair = _best_repair(values, rules, slack)
        if repair is None:
            break
        (i, col), new = repair
        checked.repairs.append(((i, col), values[i][col], new))
        values[i][col] = new
    for rule in rules:
        if _holds(values, rule, slack):
            checked.confirmed |= {rule[0], *rule[1]}
    return checked


def _holds(values: list[dict[str, Decimal]], rule: Identity, slack: Decimal) -> bool:
    # rounding moves a sum by half a unit per part, rarely more than a few units in all
    return _gap(values, rule) <= slack * min(len(rule[1]), 4)


def _gap(values: list[dict[str, Decimal]], rule: Identity) -> Decimal:
    (i, col), parts = rule
    return abs(values[i].get(col, Decimal(0)) - sum((values[k][c] for k, c in parts), Decimal(0)))


def _best_repair(values: list[dict[str, Decimal]], rules: list[Identity], slack: Decimal
                 ) -> tuple[Cell, Decimal] | None:
    """The change that mends the most failing identities, or the only one that mends one."""
    failing = [r for r in rules if r[1] and not _holds(values, r, slack)]
    mends: dict[tuple[Cell, Decimal], int] = {}
    choices: list[tuple[int, Cell, Decimal]] = []
    for rule in failing:
        options: dict[Cell, list[tuple[Decimal, Decimal]]] = {}  # cell → (gap left, variant)
        for cell in (rule[0], *rule[1]):
            i, col = cell
            if col not in values[i]:
                continue
            read = values[i][col]
            for variant in _variants(read):
                values[i][col] = variant
                if _holds(values, rule, slack):
                    options.setdefault(cell, []).append((_gap(values, rule), variant))
                    mends[(cell, variant)] = mends.get((cell, variant), 0) + 1
            values[i][col] = read
        if len(options) == 1:  # one cell alone can mend it: its closest variant, if one is closest
            (cell, found), = options.items()
            found.sort()
            if len(found) == 1 or found[0][0] < found[1][0]:
                choices.append((-1, cell, found[0][1]))
    choices += [(-n, cell, variant) for (cell, variant), n in mends.items() if n >= 2]
    for _, cell, variant in sorted(choices):
        if not _breaks(values, rules, slack, cell, variant):
            return cell, variant
    return None


def _breaks(values: list[dict[str, Decimal]], rules: list[Identity], slack: Decimal,
            cell: Cell, variant: Decimal) -> bool:
    """Whether changing the cell undoes an identity that held."""
    mine = [r for r in rules if cell == r[0] or cell in r[1]]
    before = [_holds(values, r, slack) for r in mine]
    i, col = cell
    old, values[i][col] = values[i][col], variant
    try:
        return any(was and not _holds(values, r, slack) for r, was in zip(mine, before, strict=True))
    finally:
        values[i][col] = old


def _variants(value: Decimal) -> Iterator[Decimal]:
    """The figures one OCR slip away: one digit changed, or the decimal point it lost."""
    text = f"{value:f}"
    for k, ch in enumerate(text):
        if not ch.isdigit():
            continue
        for d in "0123456789":
            if d == ch or (d == "0" and k == 0 and len(text) > 1 and text[1] != "."):
                continue
            yield Decimal(text[:k] + d + text[k + 1:])
    if "." not in text and len(text) > 2:
        yield Decimal(f"{text[:-2]}.{text[-2:]}")


def confirm_agreeing(facts: list[Fact], scanned_pages: set[int]) -> list[Fact]:
    """The document's facts with the prose of its scanned pages marked unconfirmed, and every
    unconfirmed figure that another reading states too (a table and the prose, two tables)
    confirmed: two slips that give one figure of four digits or more are not to be expected."""
    facts = [replace(f, confidence=OCR_UNCONFIRMED) if f.table == "正文" and f.page in scanned_pages
             and not f.confidence else f for f in facts]
    readings: dict[Decimal, set[tuple[object, ...]]] = defaultdict(set)
    for f in facts:
        yuan = in_yuan(f)
        if yuan is not None and len(str(abs(f.value)).replace(".", "").lstrip("0")) >= 4:
            readings[yuan].add((f.page, f.table, f.quote) if f.table == "正文" else (f.page, f.table, f.row, f.column))
    return [replace(f, confidence=OCR_CONFIRMED) if f.confidence == OCR_UNCONFIRMED
            and (yuan := in_yuan(f)) is not None and len(readings.get(yuan, ())) >= 2 else f for f in facts]

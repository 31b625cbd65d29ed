"""Assign a text row's amounts to the table's columns by the arithmetic of the table.

A text extract drops blank cells, so "208 社会保障和就业支出 345.12 257.72 87.40"
does not say which columns the amounts are in. Each row gets the order-preserving
placements that satisfy its own sums (total = parts, blanks are zero); then the
table's hierarchy (类 = Σ款, 款 = Σ项, 合计 = Σ类, per column) and columns known to
be zero (an empty fund table, a blank income line) prune them. A column is stored
only where every surviving placement agrees on it: nothing is guessed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

from ingest.schemas import Column

Placement = tuple[Decimal, ...]  # one value per column, blanks as 0
MAX_COMBINATIONS = 200_000


@dataclass(frozen=True)
class Solution:
    values: list[dict[str, Decimal]]  # per row: the columns whose value is certain
    uncertain: list[list[str]]  # per row: columns left ambiguous
    unsatisfied: list[int]  # rows that no placement satisfies
    inconsistent_groups: list[tuple[int, list[int]]]  # (parent, children) whose sums fail


def placements(amounts: list[Decimal], columns: tuple[Column, ...],
               zero: frozenset[str] = frozenset()) -> list[Placement]:
    """Every order-preserving placement of the amounts into the columns that satisfies
    the row's own sums and leaves known-zero columns blank."""
    n, k = len(columns), len(amounts)
    if k == 0:
        return [tuple(Decimal(0) for _ in columns)]
    index = {c.name: i for i, c in enumerate(columns)}
    sums = [(index[c.name], [index[p] for p in c.parts if p in index])
            for c in columns if c.parts]
    out: list[Placement] = []
    for slots in itertools.combinations(range(n), k):
        row = [Decimal(0)] * n
        for slot, amount in zip(slots, amounts, strict=True):
            row[slot] = amount
        if any(row[index[z]] != 0 for z in zero if z in index):
            continue
        if all(row[total] == sum((row[p] for p in parts), Decimal(0))
               for total, parts in sums if parts):
            out.append(tuple(row))
    return out


def solve(rows: list[list[Decimal]], columns: tuple[Column, ...],
          groups: list[tuple[int, list[int]]], zero: frozenset[str] = frozenset()) -> Solution:
    """Placements for every row, pruned by the groups' column sums."""
    domains = [placements(a, columns, zero) for a in rows]
    unsatisfied = [i for i, d in enumerate(domains) if not d]
    inconsistent: list[tuple[int, list[int]]] = []
    changed = True
    while changed:
        changed = False
        for parent, children in groups:
            if not domains[parent] or any(not domains[c] for c in children):
                continue
            kept = _prune_group(domains, parent, children)
            if kept is None:
                if (parent, children) not in inconsistent:
                    inconsistent.append((parent, children))
                continue
            for i, dom in kept.items():
                if len(dom) < len(domains[i]):
                    domains[i] = dom
                    changed = True
    names = [c.name for c in columns]
    values: list[dict[str, Decimal]] = []
    uncertain: list[list[str]] = []
    for i, dom in enumerate(domains):
        certain: dict[str, Decimal] = {}
        unsure: list[str] = []
        if dom:
            for j, name in enumerate(names):
                seen = {p[j] for p in dom}
                if len(seen) == 1:
                    certain[name] = seen.pop()
                elif rows[i]:
                    unsure.append(name)
        values.append(certain)
        uncertain.append(unsure)
    return Solution(values, uncertain, unsatisfied, inconsistent)


def _prune_group(domains: list[list[Placement]], parent: int,
                 children: list[int]) -> dict[int, list[Placement]] | None:
    """Keep the placements that take part in some combination where Σ children = parent.
    None when no combination works (the table's own sums disagree) or too many to try."""
    size = 1
    for c in children:
        size *= len(domains[c])
    if size > MAX_COMBINATIONS:
        return {}
    keep: dict[int, set[Placement]] = {i: set() for i in [parent, *children]}
    parent_set = set(domains[parent])
    for combo in itertools.product(*(domains[c] for c in children)):
        total = tuple(sum(col, Decimal(0)) for col in zip(*combo, strict=True))
        if total in parent_set:
            keep[parent].add(total)
            for c, p in zip(children, combo, strict=True):
                keep[c].add(p)
    if not keep[parent]:
        return None
    return {i: [p for p in domains[i] if p in keep[i]] for i in keep}

"""Score question-answering replies against gold items (format: /work/shared/eval/FORMAT.md).

Pure functions only: nothing here knows how replies are produced, so the same scorer judges
any predictions file. Figures are found by tokenising whole numbers (never by substring search),
so gold 4.62 cannot match inside "14.62" or "4.625".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from qa.figures import CLAIM_UNITS, MONEY_SCALE, UNIT_ALIASES, figures_in

_KIND_ORDER = ["lookup", "arithmetic", "text", "refusal", "followup"]

@dataclass(frozen=True)
class ItemScore:
    id: str
    kind: str
    correct: bool
    confidently_wrong: bool
    unsupported: list[str]
    reason: str  # empty when correct; otherwise a short explanation of the miss


@dataclass(frozen=True)
class Report:
    total: int
    correct: int
    by_kind: dict[str, tuple[int, int]]  # kind -> (correct, total)
    confidently_wrong: int  # items
    unsupported: int  # figures, summed over items
    latency_ms_p50: float  # nan when no latencies were given
    latency_ms_p95: float
    misses: list[ItemScore]


def load_gold(path: Path) -> list[dict]:
    """Read a JSON Lines gold set; a bad line raises ValueError naming the file and line."""
    items: list[dict] = []
    seen: set[str] = set()
    text = Path(path).read_text(encoding="utf-8-sig")
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{lineno}: invalid JSON: {exc.msg} (col {exc.colno})") from exc
        problem = _gold_problem(item)
        if problem is None and item["id"] in seen:
            problem = f"duplicate id {item['id']!r}"
        if problem:
            raise ValueError(f"{path}:{lineno}: bad gold item: {problem}")
        seen.add(item["id"])
        items.append(item)
    return items


def _gold_problem(item: object) -> str | None:
    if not isinstance(item, dict):
        return "not a JSON object"
    for key in ("id", "kind"):
        if not isinstance(item.get(key), str) or not item[key]:
            return f"missing or empty {key!r}"
    turns = item.get("turns")
    if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
        return "'turns' must be a non-empty list of strings"
    ans = item.get("answer")
    if not isinstance(ans, dict):
        return "'answer' must be an object"
    if "value" in ans:
        ok = isinstance(ans["value"], int | float) and not isinstance(ans["value"], bool)
        return None if ok and isinstance(ans.get("unit"), str) else "value answer needs number+unit"
    if "keywords" in ans:
        kws = ans["keywords"]
        ok = isinstance(kws, list) and all(isinstance(g, list) and g for g in kws)
        return None if ok else "'keywords' must be a list of non-empty lists"
    if ans.get("status") == "not_found":
        return None
    return "answer needs 'value', 'keywords' or status 'not_found'"


def _same(stated: Decimal, gold: Decimal) -> bool:
    # Gold states decreases as positive amounts ("减少了多少" -> 1.15), so the sign is not judged.
    return abs(stated) == abs(gold)


def _cent(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), ROUND_HALF_UP)  # FORMAT.md: percentages to two decimals


def matches_value(text: str, value: float | int, unit: str) -> bool:
    """True when text states value in unit (money converted exactly, percent to 2 decimals)."""
    gold = Decimal(str(value))  # str() keeps the float as written: 4.62, not 4.6199999...
    for stated, stated_unit in figures_in(text):
        if unit in MONEY_SCALE:
            if stated_unit in MONEY_SCALE and _same(
                stated * MONEY_SCALE[stated_unit], gold * MONEY_SCALE[unit]
            ):
                return True
        elif unit in ("%", "％"):
            if stated_unit == "%" and _same(_cent(stated), _cent(gold)):
                return True
        elif stated_unit in UNIT_ALIASES.get(unit, {unit}) and _same(stated, gold):
            return True
    return False


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s).casefold()


def matches_keywords(text: str, groups: list[list[str]]) -> bool:
    """True when, for every group, text contains one of its strings (white space ignored)."""
    flat = _squash(text)
    return all(any(_squash(k) in flat for k in group) for group in groups)


def _fmt(value: Decimal, unit: str) -> str:
    return f"{value:f}{unit}"


def score_item(
    gold: dict,
    replies: list[dict],
    supported: Callable[[Decimal, str], bool] | None = None,
) -> ItemScore:
    """Judge the last reply of one conversation against its gold item.

    supported(value, unit) is asked about every figure of the last reply's text (duplicates
    once); the figures it rejects are listed in ItemScore.unsupported.
    """
    gid, kind, ans = str(gold.get("id", "")), str(gold.get("kind", "")), gold.get("answer", {})
    if not replies:
        return ItemScore(gid, kind, False, False, [], "no reply")
    last = replies[-1]
    text, status = last.get("answer") or "", last.get("status")
    figures = figures_in(text)
    stated = ", ".join(_fmt(v, u) for v, u in figures[:6]) or "no figure"
    if "value" in ans:
        ok = status == "answered" and matches_value(text, ans["value"], ans["unit"])
        why = [f"expected {ans['value']} {ans['unit']}", f"reply states {stated}"]
    elif "keywords" in ans:
        ok = status == "answered" and matches_keywords(text, ans["keywords"])
        missing = [g for g in ans["keywords"] if not matches_keywords(text, [g])]
        why = ["missing " + " & ".join("|".join(g) for g in missing)] if missing else []
    elif ans.get("status") == "not_found":
        claims = [_fmt(v, u) for v, u in figures if u in CLAIM_UNITS]
        ok = status == "not_found" and not claims
        why = ["expected not_found"] + ([f"states {', '.join(claims[:6])}"] if claims else [])
    else:
        raise ValueError(f"gold item {gid!r}: unknown answer form {ans!r}")
    if status != ans.get("status", "answered"):
        why.insert(1 if ans.get("status") else 0, f"status {status}")
    # Only a reply that commits to an answer and states a figure can be confidently wrong.
    wrong = not ok and status == "answered" and bool(figures)
    unique = dict.fromkeys(figures)  # a figure stated twice is reported once
    unsupported = [_fmt(v, u) for v, u in unique if supported and not supported(v, u)]
    return ItemScore(gid, kind, ok, wrong, unsupported, "" if ok else "; ".join(why))


def _percentile(values: list[float], p: float) -> float:
    # Linear interpolation between closest ranks (numpy's default "linear" method).
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = p / 100 * (len(ordered) - 1)
    lo = math.floor(rank)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


def summarize(scores: list[ItemScore], latencies_ms: list[float]) -> Report:
    by_kind: dict[str, tuple[int, int]] = {}
    for s in scores:
        ok, n = by_kind.get(s.kind, (0, 0))
        by_kind[s.kind] = (ok + s.correct, n + 1)
    return Report(
        total=len(scores),
        correct=sum(s.correct for s in scores),
        by_kind=by_kind,
        confidently_wrong=sum(s.confidently_wrong for s in scores),
        unsupported=sum(len(s.unsupported) for s in scores),
        latency_ms_p50=_percentile(latencies_ms, 50),
        latency_ms_p95=_percentile(latencies_ms, 95),
        misses=[s for s in scores if not s.correct],
    )


def _ratio(ok: int, n: int) -> str:
    return f"{ok}/{n} " + (f"{100 * ok / n:.1f}%" if n else "n/a")


def format_report(report: Report) -> str:
    """Plain-text summary: accuracy overall and per kind, failure counts, latency, misses."""
    p50, p95 = report.latency_ms_p50, report.latency_ms_p95
    ms = "n/a" if math.isnan(p50) else f"{p50:.0f} / {p95:.0f} ms"
    kinds = [k for k in _KIND_ORDER if k in report.by_kind]
    kinds += sorted(k for k in report.by_kind if k not in _KIND_ORDER)
    refusal = report.by_kind.get("refusal", (0, 0))
    lines = [f"{'accuracy':<20}{_ratio(report.correct, report.total)}"]
    lines += [f"  {k:<18}{_ratio(*report.by_kind[k])}" for k in kinds]
    lines += [
        f"{'refusals':<20}{_ratio(*refusal)}",
        f"{'confidently wrong':<20}{report.confidently_wrong}",
        f"{'unsupported figures':<20}{report.unsupported}",
        f"{'latency p50/p95':<20}{ms}",
        f"misses ({len(report.misses)}):",
    ]
    lines += [f"  {m.id} {m.kind} {m.reason}" for m in report.misses]
    return "\n".join(lines)

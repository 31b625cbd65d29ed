"""A Result → the reply: the answer in plain Chinese with every figure's source, the citations,
the calculation, and the interpretation itself. When nothing answers, the reply says which it
is: the question was not understood, or it was and the document does not disclose it."""

from __future__ import annotations

from ingest.model import MONEY_UNITS, OCR_UNCONFIRMED, Document, Fact
from qa import calc
from qa.library import UNCONFIRMED, Result, label, source
from qa.reply import Citation, Reply

NOT_DISCLOSED = ("not_disclosed", "narrower", "no_measure", "no_previous", "no_whole", "no_count", "no_passage",
                 "none_disclose", "no_parts")


def cite(f: Fact, documents: dict[str, Document], columns: dict[str, tuple[str, ...]]) -> Citation:
    doc = documents.get(f.doc_id)
    table = None if f.table == "正文" else f.table
    return Citation(f.doc_id, doc.title if doc else "", f.page, table, f.quote, columns.get(f.table, ()))


def compose(question: str, result: Result, documents: dict[str, Document],
            columns: dict[str, tuple[str, ...]], nearest: tuple[str, ...] = ()) -> Reply:
    """`columns`: each cited table's headers; `nearest`: rows near what was asked, for a refusal."""
    interp = result.interpretation
    seen: dict[tuple[str, str, str, str], Citation] = {}
    for _, f in (*result.facts, *result.also):
        seen.setdefault((f.doc_id, f.table, f.quote, f.row), cite(f, documents, columns))
    cites = tuple(seen.values())
    meaning = interp.to_json()
    if result.kind == "problem":
        return _refusal(question, result, documents, nearest, meaning)
    if result.kind == "passage" and result.passage is not None:
        quote, chunk = result.passage
        doc = documents[chunk.doc_id]
        said = Citation(doc.doc_id, doc.title, chunk.page, None, quote)
        return Reply(question, f"{quote}（{doc.title}，第{chunk.page}页）", "answered", (said,), interpretation=meaning)
    if result.kind == "calculation":
        c = result.calculation
        assert c is not None
        shown = calc.format_amount(c.result, c.unit)
        if c.expression and len(c.operands) == 1 and c.unit != c.operands[0].unit:  # a conversion
            f = result.facts[0][1]
            exact = calc.convert(f.value, f.unit, c.unit).normalize()
            if exact != c.result:
                shown = f"{exact:f}{c.unit}（保留两位小数为{shown}）"
            text = f"{label(f)}为{calc.format_amount(f.value, f.unit)}，折合{shown}（{c.expression}）。{source(f)}"
        else:
            parts = "；".join(f"{o.label} {calc.format_amount(o.value, o.unit)}" for o in c.operands)
            text = f"{result.lead}计算结果为{shown}（{c.expression}）。依据：{parts}。"
        return Reply(question, text + _doubted(result) + _also(result), "answered", cites, c,
                     interpretation=meaning)
    if result.kind == "listing":
        return Reply(question, result.lead, "answered", cites, result.calculation, table=result.listing,
                     interpretation=meaning)
    if "label" in result.notes:
        return Reply(question, result.lead, "answered", cites, interpretation=meaning)
    lines = [f"{name}为{calc.format_amount(f.value, f.unit)}{_in_unit(f, interp.unit)}{source(f)}"
             for name, f in result.facts]
    text = result.lead + "；".join(lines) + "。" + _also(result)
    return Reply(question, text, "answered", cites, interpretation=meaning)


def _doubted(result: Result) -> str:
    """A calculation on scanned figures that nothing confirmed says so, and which."""
    doubted = [f for _, f in result.facts if f.confidence == OCR_UNCONFIRMED]
    if not doubted:
        return ""
    named = "、".join(dict.fromkeys(f"{label(f)} {calc.format_amount(f.value, f.unit)}" for f in doubted))
    return f"注意：{named}为{UNCONFIRMED}，计算结果同样未经核实，请对照原件。"


def _in_unit(f: Fact, unit: str | None) -> str:
    if not unit or unit == f.unit or unit not in MONEY_UNITS or f.unit not in MONEY_UNITS:
        return ""
    return f"（即{calc.convert(f.value, f.unit, unit).normalize():f}{unit}）"


def _also(result: Result) -> str:
    if not result.also:
        return ""
    told = "；".join(f"{f.table.split(' ', 1)[-1]}中「{name}」为{calc.format_amount(f.value, f.unit)}{source(f)}"
                    for name, f in result.also)
    return f"另：{told}。两处口径不同（例如是否含项目支出），请按需要选用。"


def _refusal(question: str, result: Result, documents: dict[str, Document], nearest: tuple[str, ...],
             meaning: dict) -> Reply:
    interp = result.interpretation
    doc = documents.get(interp.docs[0]) if interp.docs else None
    title = doc.title if doc else "所选文件"
    detail = result.detail or interp.said or "这个问题"
    shown = "您问的这一项" if any(ch.isdigit() for ch in detail) else detail  # digits echoed read as a figure
    near = f"文件披露的相近项目有：{'、'.join(nearest)}。" if nearest else ""
    problem = result.problem
    if problem == "not_understood":
        text = f"没能理解「{shown}」指的是{title}中的哪一项。{near or '请换一种说法，或说出表格中的项目名称。'}"
        return Reply(question, text, "not_found", interpretation=meaning, reason="not_understood")
    if problem == "ambiguous":
        options = "；".join(f"{o.row}（{o.table.split(' ', 1)[-1]}）" for o in interp.options)
        return Reply(question, f"「{shown}」可能指文件中的几项，您问的是哪一项？{options}", "clarify",
                     candidates=tuple(o.row for o in interp.options), interpretation=meaning)
    if problem == "part_and_whole":
        return Reply(question, f"不能这样相加：{detail}，两者相加会重复计算。", "clarify", interpretation=meaning)
    if problem == "calculation":
        return Reply(question, f"无法计算：{_why(detail)}", "not_found", interpretation=meaning,
                     reason="not_disclosed")
    if problem in ("two_needed", "same_figure"):
        return Reply(question, f"请说出要计算的两项（「{shown}」只对应一个数字）。", "clarify", interpretation=meaning)
    if problem == "no_measure":
        text = f"{title}没有披露{shown}。"
    elif problem == "narrower":
        text = f"{title}没有单列「{shown}」的数字，文件没有披露这一项。{near}"
    else:
        text = f"{title}中没有找到「{shown}」的数字，文件没有披露这一项。{near}"
    return Reply(question, text, "not_found", interpretation=meaning, reason="not_disclosed")


def _why(text: str) -> str:
    if text.startswith("division by zero"):
        return f"作为分母的「{text.split(': ', 1)[-1].removesuffix(' is 0')}」为0，比例或增幅没有意义。"
    if text.startswith("incompatible units"):
        return "两个数字的单位不同（例如金额与人数、百分比），不能这样相加减或相除。"
    return "这两个数字不能这样计算。"

"""What execution reads and returns: the `Library` of documents (their vocabularies, passages
and rows, loaded on demand), the `Result` of an operation, and how a figure is read for an item
in the measure asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ingest.model import OCR_UNCONFIRMED, Chunk, Document, Fact
from qa.calc import Calculation, Operand
from qa.reply import Listing
from qa.sound import sound
from qa.value import Interpretation, Item
from qa.vocabulary import Entry, Vocabulary, clean

CHANGE_COLUMNS = ("比上年增加", "比上年减少")
RATE_COLUMNS = ("增长率", "下降率")


@dataclass(frozen=True)
class Library:
    """What execution reads: the documents, their vocabularies (loaded on demand), their prose
    passages, and the store's rows of many documents at once (for rankings)."""

    documents: dict[str, Document]
    vocabulary: Callable[[str], Vocabulary]
    passages: Callable[[str, str], list]  # (doc_id, query) → prose chunks, best first
    prose: Callable[[str], list]  # doc_id → every prose chunk
    rows: Callable[[list[str], list[str]], list[Fact]]  # (row names, doc_ids) → facts


@dataclass(frozen=True)
class Result:
    """What was found: facts stated (label, fact), a calculation, a passage, a listing, or a
    problem (with the words it is about and the nearest rows)."""

    kind: str  # figure | figures | calculation | passage | listing | problem
    interpretation: Interpretation
    facts: tuple[tuple[str, Fact], ...] = ()
    calculation: Calculation | None = None
    also: tuple[tuple[str, Fact], ...] = ()  # the same row printed elsewhere with another figure
    passage: tuple[str, Chunk] | None = None  # (quote, the passage it is from)
    listing: Listing | None = None
    problem: str = ""
    detail: str = ""
    lead: str = ""  # a sentence before the figures (a comparison's verdict, a completion rate)
    notes: tuple[str, ...] = field(default_factory=tuple)


# --- reading figures --------------------------------------------------------------------------

def fact_of(item: Item, lib: Library) -> Fact:
    e = lib.vocabulary(item.doc_id).entry(item.entry)
    return e.column(item.column) or e.facts[0]


def entry_of(item: Item, lib: Library) -> Entry:
    return lib.vocabulary(item.doc_id).entry(item.entry)


def label(f: Fact) -> str:
    if f.table == "正文":
        return f.row if f.column in ("金额", "数量") else f"{f.row}{f.column}"
    row = f.row if clean(f.row) not in ("合计", "总计") else f"{f.table.split(' ', 1)[-1]}合计"
    default = f.column in ("合计", "总计", "金额") or (f.column == "预算数" and "决算" not in f.table)
    return row if default else f"{row}（{f.column}）"


UNCONFIRMED = "OCR识别，数字未经核实"  # said of a scanned figure no sum of its table confirms


def source(f: Fact) -> str:
    where = "正文" if f.table == "正文" else f.table
    code = f"，科目{f.code}" if f.code else ""
    page = f"，第{f.page}页" if f.page else ""
    doubt = f"，{UNCONFIRMED}" if f.confidence == OCR_UNCONFIRMED else ""
    return f"（来源：{where}{code}{page}{doubt}）"


def item_label(item: Item, f: Fact) -> str:
    """A figure named as the question's item: a total row by the name that linked it (人员经费 for
    the 人员经费 column of the 基本支出 table's 合计), any other row by its own label."""
    if clean(f.row) in ("合计", "总计", "小计") and item.name and clean(item.name) not in ("合计", "总计"):
        base = clean(item.name)
        default = f.column in ("合计", "总计", "金额") or (f.column == "预算数" and "决算" not in f.table) \
            or clean(f.column) == base
        return base if default else f"{base}（{f.column}）"
    return label(f)


def operand(f: Fact, name: str = "") -> Operand:
    return Operand(name or label(f), f.value, f.unit, f)


def measured(item: Item, measure: str | None, lib: Library) -> Fact | None:
    """The item's figure in the measure asked (年初预算, 全年预算, 决算 …), or None when the document
    does not state it; without a measure, the item's own column."""
    e = entry_of(item, lib)
    doc = lib.documents[item.doc_id]
    if measure in (None, "上年") or (measure == "预算" and doc.kind == "预算") or (
            measure == "决算" and doc.kind == "决算" and "预算" not in item.column):  # a 决算's tables are spending
        return e.column(item.column) or e.facts[0]
    if measure == "决算" and doc.kind == "预算":
        return None
    words = {"年初预算": ("年初预算", "预算数"), "调整预算": ("调整预算", "全年预算"),
             "全年预算": ("全年预算", "调整预算"), "预算": ("预算数", "全年预算", "调整预算", "年初预算"),
             "决算": ("决算", "执行数")}[measure]
    for w in words:
        f = next((g for g in e.facts if w in g.column and (w != "预算数" or "决算" not in g.column)), None)
        if f is not None:
            return f
    for w in words:  # the prose states it ("年初预算为1560.05万元，支出决算为1511.89万元")
        column = {"年初预算": "年初预算数", "预算数": "年初预算数", "全年预算": "全年预算数", "调整预算": "全年预算数",
                  "决算": "决算数", "执行数": "执行数"}.get(w)
        stated = prose_about(names_of(item, lib), lib.vocabulary(item.doc_id), (column,)) if column else []
        if stated:
            return stated[0]
    return None


def names_of(item: Item, lib: Library) -> tuple[str, ...]:
    """The names an item goes by, for finding what the prose says of it: the name that linked it (a
    topic for a total row), its printed name unless bare, what was said."""
    e = entry_of(item, lib)
    out = [clean(item.name)] if item.name else []
    if e.name not in ("合计", "总计", "小计"):
        out.append(e.name)
    return tuple(dict.fromkeys(n for n in out if n))


def prose_about(names: tuple[str, ...], voc: Vocabulary, columns: tuple[str, ...], exact: bool = False) -> list[Fact]:
    """The prose figures of these columns whose subject is one of these names, best first: the
    same name, or a longer subject holding it whole (机关运行经费 in 一般公共预算机关运行经费预算支出)."""
    out: list[tuple[float, Fact]] = []
    for x in voc.entries:
        if not x.prose or x.facts[0].column not in columns:
            continue
        subject = sound(x.name)
        best = 0.0
        rows = _row_names(voc)
        for name in names:
            said = sound(name)
            if subject == said:
                best = max(best, 10.0)
            elif exact:
                continue
            elif len(name) >= 4 and said in subject and x.name not in rows and not x.name.startswith("其他"):
                best = max(best, 5.0 - (len(x.name) - len(name)) / 10)  # a row's name inside a longer subject
            elif len(x.name) >= 4 and subject in said and len(x.name) >= 0.6 * len(name):
                best = max(best, 4.0 - (len(name) - len(x.name)) / 10)  # 社会保障和就业（类）for …支出
        if best:
            out.append((best, x.facts[0]))
    return [f for _, f in sorted(out, key=lambda t: -t[0])]


def _row_names(voc: Vocabulary) -> frozenset[str]:
    """The names of the document's table rows: a prose subject that is one of them is that row."""
    return voc.row_names

"""What the question's words ask, outside its items: the operation whose cue is said (and whose
slots the items can fill), a text question and its kind, the measure, the output unit, the
direction of a comparison, how many are ranked, a change applied. Nothing here grounds an item."""

from __future__ import annotations

import re

from qa.lexicon import says
from qa.read import Reading, items_said

NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def said_number(text: str) -> int:
    """"3", "三", "十五", "二十" → 3, 3, 15, 20."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return NUMERALS.get(tens, 1) * 10 + NUMERALS.get(ones, 0)
    return NUMERALS.get(text, 1)


def asks_text_of(r: Reading, text: str) -> bool:
    """A text question: a reason asked, or what something is, does or includes, with no figure asked
    (前三项是哪些 asks for figures: a ranking)."""
    kind = text_kind(r, text)
    if kind is None:
        return False
    ranked = any(w.kind == "cue" and (w.target.startswith("top:") or (w.target == "rank" and not r.phrases))
                 for w in r.words)  # "X主要用在哪些方面" asks what X is for; "钱主要花在哪里" ranks the spending
    return kind in ("reason", "empty") or not (says("quantity", text) or ranked)


def scale_said(r: Reading) -> str | None:
    """"如果X减少10%": the percentage the figure is changed by, signed."""
    for w in r.words:
        if w.kind == "cue" and w.target.startswith("scale:"):
            m = re.search(r"(减少|下降|降低|压减|削减|下调)?了?(\d+(?:\.\d+)?)", w.target[6:])
            if m:
                return ("-" if m.group(1) else "") + m.group(2)
    return None


def asks_across(text: str) -> bool:
    """Whether the question asks about the units in scope together ("哪个单位", "各部门")."""
    return says("across", text)


def out_unit(r: Reading) -> str | None:
    said = [w.target for w in r.words if w.kind == "out_unit"]
    return said[0] if said else None


def measure_said(r: Reading) -> str | None:
    """The measure said: last year's when said at all (上年的预算数), else the longest said."""
    said = [w for w in r.words if w.kind == "measure"]
    if any(w.target == "上年" for w in said):
        return "上年"
    return max(said, key=lambda w: (w.end - w.start, -w.start)).target if said else None


FIGURE_SAID = re.compile(r"\d+(?:\.\d+)?\s*(?:%|万元|亿元|万|元|块)")


def text_kind(r: Reading, text: str) -> str | None:
    kinds = [w for w in r.words if w.kind == "text"]
    if not kinds:
        return "reason" if change_explained(r, text) else None
    order = ("reason", "empty", "use", "definition", "function", "composition", "general")
    return min((w.target for w in kinds), key=order.index)


def change_explained(r: Reading, text: str) -> bool:
    """A change asked about, not its size: the question states the figure itself ("怎么一下涨了149%",
    "多了480万，这钱花哪儿了"), or asks how come ("怎么比上年多了", "怎么一分…都没有"), and asks no
    quantity of its own."""
    if says("quantity", FIGURE_SAID.sub("", text)):
        return False
    how = says("how_come", text)
    changed = "change" in r.cues
    return changed and (how or FIGURE_SAID.search(text) is not None) or how and says("none_at_all", text)


def direction_said(text: str, r: Reading) -> str | None:
    """"A比B多/高…": more; "少/低/减…": less; None when the question does not say."""
    rows = [p.span for p in r.phrases]
    tail = (text[rows[-1].end:] if rows else text).replace("多少", "")
    more, less = re.search(r"多|高|大|增|涨|超|上升", tail), re.search(r"少|低|小|减|降|压|节约", tail)
    if more and not less:
        return "more"
    if less and not more:
        return "less"
    return None


def top_said(r: Reading) -> int | None:
    for w in r.words:
        if w.kind == "cue" and w.target.startswith("top:"):
            return max(1, said_number(w.target[4:]))
    return None


def compared_measure(text: str, r: Reading, year: int | None = None) -> str | None:
    """The measure said right after 比/较 ("比年初预算少花了多少", "比2025年预算执行数多了多少",
    "比上年"): what the item's figure is set against. A year before the document's, said after 比,
    is last year's figure, unless its execution is meant (比2025年预算执行数)."""
    m = re.search(r"(?:比|较|比起)(20\d\d)年度?", text)
    if re.search(r"(比|较)(上年|去年|上一年)|(跟|和|与|同)(上年|去年|上一年)(相|对)?比", text):
        return "上年"
    for w in r.words:
        if w.kind == "measure" and re.search(r"(比|较|比起|相比)(20\d\d年度?)?(的)?(预算|当年)?$",
                                             text[max(0, w.start - 9):w.start]):
            if m and year and int(m.group(1)) < year and w.target != "决算":
                return "上年"
            return w.target
    if m and year and int(m.group(1)) < year:
        return "上年"
    return None


def rate_of_change(text: str, r: Reading) -> bool:
    """"缩减比例", "增长的比例", "下降幅度": a change cue right before the word of a share."""
    return any(w.kind == "cue" and w.target == "change" and re.match(r"的?(比例|比重|百分比|幅度)", text[w.end:])
               for w in r.words)


def operation_of(r: Reading, text: str, n_items: int, context: bool, kind: str = "预算",
               year: int | None = None) -> str:
    """The operation whose cue is said and whose slots the items can fill."""
    cues = r.cues
    rows = [p.span for p in items_said(r.phrases)]
    between = text[rows[0].end:rows[1].start] if len(rows) >= 2 else ""
    compared = n_items >= 2 and re.fullmatch(r"(比|较|比起|相比|和|与|跟|同)", between or "-") is not None
    against = compared_measure(text, r, year)
    if "scale" in cues:
        return "lookup"  # "如果三公经费减少10%": the figure scaled
    if "count" in cues and not re.search(r"钱|元|金额|经费|费用|支出", text[rows[-1].end:] if rows else text):
        return "count"
    budgets = [w for w in r.words if w.kind == "measure" and w.target in ("预算", "年初预算", "全年预算", "调整预算")]
    whole_at = text.find("占")
    if "completion" in cues or (kind == "决算" and "share" in cues and n_items == 1 and budgets and (
            whole_at < 0 or all(w.start > whole_at for w in budgets) and all(p.end <= whole_at for p in rows))):
        return "completion"  # "…预算用了几成", "决算占全年预算多少": what it spent of its budget
    strong_share = re.search(r"占|比重|比例|份额|多大一块|几分之几", text)
    if strong_share and "change" in cues and not re.search("占", text) and rate_of_change(text, r):
        return "growth"
    if "share" in cues and (n_items >= 1 or context) and (strong_share or "change" not in cues):
        return "share"
    if "per_unit" in cues:
        return "per_unit"
    if ("rank" in cues or "top" in cues) and not ("change" in cues and against == "上年") and not asks_text_of(r, text):
        return "rank"
    rate = "rate" in cues and "金额" not in text
    if against == "上年" or (against == "决算" and kind == "预算"):  # last year's figure, or its execution
        return "growth" if rate else "change"
    if against is not None and n_items == 1:
        return "difference"  # "实际比年初预算少花了多少": two measures of one row
    if compared and between in ("比", "较", "比起") and re.search(r"[多少高低大小差]", text[rows[1].end:]):
        return "difference"
    if "compare" in cues and (n_items >= 2 or context):
        return "compare"
    if "difference" in cues and n_items >= 2:
        return "difference"
    if "change" in cues or ("previous" in cues and "difference" in cues):
        return "growth" if rate else "change"
    if "sum" in cues and n_items >= 2:
        return "sum"
    if "difference" in cues and context:
        return "difference"
    return "lookup"

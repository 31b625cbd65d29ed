"""Which standard tables a document should hold, and which it does: found, empty, missing.

A disclosure lists its tables on its own contents page (目录); a document without one
is held to the standard catalogue of its kind (the Ministry of Finance templates for
部门/单位预算 and 决算). A table counts as found when a table of its type was parsed,
as empty when that table states it has nothing ("本部门无…", a blank form), and as
missing otherwise — reported with the page of the contents line that promised it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.model import Page
from ingest.schemas import classify_table, squash

# The tables every 预算 / 决算 disclosure prints, whatever the region calls them.
STANDARD = {
    "预算": ("收支总表", "收入总表", "支出总表", "财政拨款收支总表", "一般公共预算支出表",
           "一般公共预算基本支出表", "三公经费表", "政府性基金预算支出表"),
    "决算": ("收支总表", "收入总表", "支出总表", "财政拨款收支总表", "一般公共预算支出表",
           "一般公共预算基本支出表", "三公经费表", "政府性基金预算支出表"),
}
LEADER = re.compile(r"[.．…·\-—_\s]{2,}\d*$|\d+$")
NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|\d{1,2}[、.．]?|表\s*\d{1,2}|公开\s*\d{1,2}\s*表)\s*")
CONTENTS = re.compile(r"^(目录|目次)$")


@dataclass(frozen=True)
class Entry:
    table_type: str
    title: str  # as printed in the contents
    page: int | None  # the contents page that lists it; None for the standard catalogue


@dataclass
class Catalogue:
    expected: list[Entry] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    missing: list[Entry] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # parsed tables of a type not expected
    own: bool = False  # the document's own 目录, not the standard catalogue

    def summary(self) -> str:
        source = "目录" if self.own else "标准目录"
        text = (f"应有 {len(self.expected)} 张表（{source}）：找到 {len(self.found)}，"
                f"其中空表 {len(self.empty)}，缺 {len(self.missing)}")
        if self.empty:
            text += "；空表：" + "、".join(self.empty)
        if self.missing:
            text += "；缺：" + "、".join(f"{e.title}" + (f"（目录第{e.page}页）" if e.page else "")
                                      for e in self.missing)
        if self.extra:  # said, so that the count of tables parsed adds up to the count here
            text += f"；另有 {len(self.extra)} 张{source}之外的表：" + "、".join(self.extra)
        return text


def contents_pages(pages: list[Page]) -> set[int]:
    """Pages that are a contents page: 目录 among their first lines."""
    return {p.number for p in pages
            if any(CONTENTS.match(squash(x)) for x in [x for x in p.text.split("\n") if x.strip()][:4])}


def title_key(title: str) -> str:
    """A title without numbering, year, unit name or spacing: "十、2017年度江苏省高级人民法院部门
    一般公共预算机关运行经费支出预算表" and "一般公共预算机关运行经费支出预算表" share their ending."""
    return re.sub(r"^20\d\d年度?", "", NUMBERING.sub("", LEADER.sub("", squash(title))))


def is_listed(title: str, listed: set[str]) -> bool:
    """Whether a line is the title of a table the contents list (its ending is a listed title)."""
    key = title_key(title)
    return len(key) >= 5 and any(key.endswith(title_key(t)) and len(title_key(t)) >= 5 for t in listed)


def contents_entries(pages: list[Page]) -> list[Entry]:
    """The tables a document's own contents pages list, in order, one per type."""
    out: list[Entry] = []
    seen: set[str] = set()
    for page, title in contents_titles(pages):
        tt = classify_table(title)
        if tt is not None and tt.name not in seen:
            seen.add(tt.name)
            out.append(Entry(tt.name, title, page))
    return out


def contents_titles(pages: list[Page]) -> list[tuple[int, str]]:
    """Every table title on the contents pages, as (page, title)."""
    out: list[tuple[int, str]] = []
    on_contents = contents_pages(pages)
    for p in pages:
        if p.number not in on_contents:
            continue
        lines = [squash(x) for x in p.text.split("\n") if x.strip()]
        for k, line in enumerate(lines):
            title = NUMBERING.sub("", LEADER.sub("", line))
            nxt = LEADER.sub("", lines[k + 1]) if k + 1 < len(lines) else ""
            if not title.endswith("表") and nxt and len(nxt) <= 20 and not NUMBERING.match(nxt) \
                    and not nxt.startswith("第"):
                title += nxt  # an entry broken over two lines: "…培训费支出预算" + "表"
            if title.endswith("表") and len(title) <= 60 and not title.startswith("第") \
                    and classify_table(title) is not None:
                out.append((p.number, title))
    return out


LISTED = "目录列出的表："


def list_message(entries: list[Entry]) -> str:
    """The contents as a finding, so that a later file of the document is held to it."""
    return LISTED + "；".join(e.title for e in entries)


def listed_entries(messages: list[str]) -> list[Entry]:
    for m in messages:
        if m.startswith(LISTED):
            titles = m[len(LISTED):].split("；")
            return [Entry(tt.name, t, None) for t in titles if (tt := classify_table(t)) is not None]
    return []


def check_catalogue(kind: str, own: list[Entry], tables: list[tuple[str, bool]]) -> Catalogue:
    """Expected tables (own contents, else the standard catalogue of the kind) against the
    parsed ones, given as (table type, empty)."""
    expected = own or [Entry(name, name, None) for name in STANDARD.get(kind, STANDARD["预算"])]
    types = {name for name, _ in tables}
    full = {name for name, empty in tables if not empty}
    cat = Catalogue(expected=expected, own=bool(own))
    for e in expected:
        if e.table_type in types:
            cat.found.append(e.table_type)
            if e.table_type not in full:
                cat.empty.append(e.table_type)
        else:
            cat.missing.append(e)
    named = {e.table_type for e in expected}
    cat.extra = [name for name, _ in tables if name not in named]
    return cat

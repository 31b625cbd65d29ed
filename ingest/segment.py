"""Where a table begins that printed no title of its own: a header printed again in the
middle of a page, after another table's figures, opens the next table the document's own
contents (目录) lists.

A table that runs onto a new page may repeat its header at the top of that page; a
header below figures on the same page cannot be a repeat, it is the next table (three
tables on one page, the last two captions lost in the layout). Its type is the next one
the 目录 lists after the table before it that has not been found, provided the header
names a column of that type; without a 目录 nothing is cut, since nothing says what the
new table is.
"""

from __future__ import annotations

from collections.abc import Callable

from ingest.catalogue import Entry
from ingest.layout import Line
from ingest.model import Page
from ingest.schemas import TABLE_TYPES, classify_table, squash

# the words a column header prints (a cell's whole text)
HEADER_CELLS = {"项目", "科目", "科目编码", "科目名称", "功能分类科目", "经济分类科目", "合计", "总计", "小计",
                "金额", "预算数", "决算数", "基本支出", "项目支出", "人员经费", "公用经费", "财政拨款",
                "一般公共预算", "收入", "支出", "单位名称"}
Title = tuple[int, int, str, str, str]  # (first line, line after the title, number, title, unit)


def untitled(stream: list[tuple[Page, Line]], titles: list[Title], entries: list[Entry],
             is_data: Callable[[Line], bool]) -> list[Title]:
    """Title entries for the tables that start at a header below another table's figures
    on one page, typed by the contents."""
    found = {t.name for _, _, _, title, _ in titles if (t := classify_table(title)) is not None}
    starts = sorted(s for s, *_ in titles)
    out: list[Title] = []
    for k, (_start, end, _number, title, _unit) in enumerate(sorted(titles)):
        stop = starts[k + 1] if k + 1 < len(starts) else len(stream)
        current = classify_table(title)
        seen_data_on: set[int] = set()
        j = end
        while j < stop:
            page, line = stream[j]
            if is_data(line):
                seen_data_on.add(page.number)
                j += 1
                continue
            block, size = _header_block(stream, j, stop, is_data)
            if page.number in seen_data_on and block:
                nxt = _next_listed(entries, current.name if current else "", found, block)
                if nxt is not None:
                    found.add(nxt.table_type)
                    out.append((j, j, "", nxt.title, ""))
                    current = classify_table(nxt.title)
                    seen_data_on = set()
                    j += size
                    continue
            j += 1
    return out


def _header_block(stream: list[tuple[Page, Line]], j: int, stop: int,
                  is_data: Callable[[Line], bool]) -> tuple[list[str], int]:
    """The header cells of a run of text lines at j that figures follow on the same page,
    and how many lines the run is."""
    page = stream[j][0]
    cells: list[str] = []
    for k in range(j, min(j + 6, stop)):
        p, line = stream[k]
        if p is not page:
            break
        if is_data(line):
            return (cells, k - j) if sum(1 for c in cells if c in HEADER_CELLS) >= 2 else ([], 0)
        cells += [squash(c.text) for c in line.cells if not c.is_number]
    return [], 0


def _next_listed(entries: list[Entry], after: str, found: set[str], header: list[str]) -> Entry | None:
    """The first table the contents list after `after` that is not yet found, if the header
    names one of its columns."""
    names = [e.table_type for e in entries]
    start = names.index(after) + 1 if after in names else 0
    for e in entries[start:]:
        if e.table_type in found:
            continue
        tt = next(t for t in TABLE_TYPES if t.name == e.table_type)
        words = {w for c in (*tt.columns, *tt.left_columns) for w in c.words()}
        return e if words & set(header) else None
    return None

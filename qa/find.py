"""Finding a document's figures for a phrase: the linked row (qa.link) with its checks — a
name other documents have, rows named equally well, siblings a category names, the same row
stated twice, the measure asked, a stated count — over the engine's per-document indexes."""

from __future__ import annotations

import os
import re

from ingest.model import Fact
from qa import calc
from qa.calc import Operand
from qa.compose import MEASURE_WORDS_RE, operand
from qa.link import CJK, Link, LinkIndex, build_index, clean, sound
from qa.link import link as link_phrase
from qa.match import Match, match_columns, match_prose, match_rows

AMOUNT_MEASURES = ("金额", "数量", "价值", "比例")
MONEY_WORDS = re.compile(r"钱|元|费|经费|资金|支出|收入|预算|决算|拨款|金额|花|开支")


class FigureSearch:
    """The engine's figure finding, kept apart from its question handling; the state it reads
    is the engine's, loaded in `Engine.reload`."""

    by_id: dict
    columns: set[str]
    _by_doc: dict[str, tuple[list[Fact], list[Fact]]]
    _links: dict[str, LinkIndex]
    _linked: dict[tuple[int, str, bool | None, int], list[Link]]
    _row_names: list[str]
    _vocabulary: str

    def _link(self, phrase: str, index: LinkIndex, unit_is_rate: bool | None = None,
              slack: int = 0) -> list[Link]:
        """qa.link.link over a document's own index, remembered: one question links the same
        phrase several times."""
        if self._links.get(index.doc_id) is not index:  # an index made for one call: not remembered
            return link_phrase(phrase, index, unit_is_rate, slack=slack)
        key = (id(index), phrase, unit_is_rate, slack)
        if key not in self._linked:
            if len(self._linked) > 5000:
                self._linked.clear()
            self._linked[key] = link_phrase(phrase, index, unit_is_rate, slack=slack)
        return self._linked[key]

    def _names_elsewhere(self, phrase: str, index: LinkIndex, best: Link) -> bool:
        """Whether the phrase says, whole, the name of a row that other documents have and this
        one does not (and that the row found does not contain): then it asks for that row."""
        said = sound(clean(phrase))
        mine = index.names()
        return any(len(n) >= max(3, best.matched) and n not in mine and sound(n) in said
                   and sound(n) not in sound(best.name) for n in self._row_names)

    def _is_vocabulary(self, words: str) -> bool:
        """Words that are part of a row's name in some document (not a unit's name)."""
        words = clean(words)
        return len(words) >= 3 and sound(words) in self._vocabulary

    def find(self, phrase: str, tf: list[Fact], pf: list[Fact],
              unit: str | None = None, asked: str = "") -> Fact | None:
        f = self._find_any(phrase, tf, pf, unit)
        doc = self.by_id.get(f.doc_id) if f is not None else None
        if f is not None and doc is not None and doc.kind == "决算" and "预算" in f.column \
                and "预算" not in phrase + asked:
            final = [g for g in tf if g.table == f.table and g.row == f.row and g.code == f.code
                     and "决算" in g.column]  # a 决算 document is asked for what was spent
            return final[0] if final else f
        return f

    def _find_any(self, phrase: str, tf: list[Fact], pf: list[Fact],
                  unit: str | None = None) -> Fact | None:
        if unit in (None, "元", "万元", "亿元", "money", "%"):
            index = self._index(tf, pf)
            slack = 1 if len(CJK.findall(phrase)) >= 8 else 0
            links = self._link(phrase, index, unit_is_rate=unit == "%", slack=slack)
            if unit != "%":  # a money question is never answered with a count ("购置车辆0辆")
                money = [x for x in links if x.fact.unit in calc.MONEY_UNITS]
                counts = [x for x in links if x.cover == 1 and unit is None and not MONEY_WORDS.search(phrase)]
                links = money or counts
            if links and links[0].cover < 1 and self._names_elsewhere(phrase, index, links[0]):
                return None  # "其他收入": a row other documents have, not a short form of this one's 其他非税收入
            if links and self._rivals(phrase, tf, pf, unit):
                return None  # named as well as another row with another figure: no guess
            return links[0].fact if links else None
        return self._find_loose(phrase, tf, pf, unit)

    def _index(self, tf: list[Fact], pf: list[Fact]) -> LinkIndex:
        """The document's rows and prose subjects grouped for linking, built once per document."""
        doc_id = (tf or pf)[0].doc_id if (tf or pf) else ""
        mine = self._by_doc.get(doc_id)
        if mine is None or mine[0] is not tf or mine[1] is not pf:
            return build_index(tf, pf, AMOUNT_MEASURES)
        if doc_id not in self._links:
            self._links[doc_id] = build_index(tf, pf, AMOUNT_MEASURES)
        return self._links[doc_id]

    def _find_loose(self, phrase: str, tf: list[Fact], pf: list[Fact],
                    unit: str | None = None) -> Fact | None:
        rows: list[Match] = []
        if unit in (None, "元", "万元", "亿元", "money", "%"):
            rows = match_rows(phrase, tf, self.columns)
            if not rows or rows[0].loose:  # "基本支出中公用经费": a column of the total row
                rows = match_columns(phrase, tf, self.columns) or rows
            rows = [m for m in rows if (m.fact.unit == "%") == (unit == "%")]  # a rate asked, a rate given
        prose = match_prose(phrase, pf, AMOUNT_MEASURES, unit, strict=True)
        if "价值" in phrase:
            prose = [p for p in prose if p[1].column == "价值"] or prose
        if rows and not rows[0].loose and (not prose or rows[0].score >= int(prose[0][0])):
            return rows[0].fact  # a table row named as well as the prose names it wins
        if prose:
            return prose[0][1]
        if rows:
            return rows[0].fact
        loose = match_prose(phrase, pf, AMOUNT_MEASURES, unit)
        return loose[0][1] if loose else None

    def operand(self, phrase: str, tf: list[Fact], pf: list[Fact]) -> Operand | None:
        f = self.find(phrase, tf, pf, "万元")
        if f is not None:
            return operand(f)
        parts = self._siblings(phrase, tf, pf)
        if not parts:
            return None
        c = calc.total([operand(g) for g in parts])
        said = " + ".join(f"{g.row} {calc.format_amount(g.value, g.unit)}" for g in parts)
        return Operand(f"{phrase}（{said}）", c.result, c.unit, parts[0])

    def _siblings(self, phrase: str, tf: list[Fact], pf: list[Fact]) -> list[Fact]:
        """Rows of one table, side by side and under one parent, that the phrase names alike by
        their first and last words (上级转移支付: 上级一般公共预算安排转移支付, 上级政府性基金
        安排转移支付 …): the phrase names their category, whose figure is their sum."""
        rivals = [f for f in self._rivals(phrase, tf, pf, None) if f.table != "正文"]
        if len(rivals) < 2 or len({(f.table, f.column, f.unit) for f in rivals}) > 1:
            return []
        if len({(f.code or "")[:-2] for f in rivals}) > 1:
            return []
        names = [clean(f.row) for f in rivals]
        head = os.path.commonprefix(names)
        tail = os.path.commonprefix([n[::-1] for n in names])[::-1]
        said = sound(clean(phrase))
        if len(head) < 2 or len(tail) < 2 or sound(head[:2]) not in said or sound(tail[-2:]) not in said:
            return []
        table, column = rivals[0].table, rivals[0].column
        return [f for f in tf if f.table == table and f.column == column and f.unit in calc.MONEY_UNITS
                and clean(f.row).startswith(head) and clean(f.row).endswith(tail)
                and len(clean(f.row)) > len(head + tail)]

    def _rivals(self, phrase: str, tf: list[Fact], pf: list[Fact], unit: str | None) -> list[Fact]:
        """The rows the phrase names as well as the best, under other names, with other figures
        (上级转移支付: 上级一般公共预算安排转移支付, 上级政府性基金安排转移支付 …)."""
        if unit not in (None, "元", "万元", "亿元", "money"):
            return []
        slack = 1 if len(CJK.findall(phrase)) >= 8 else 0
        links = [x for x in self._link(phrase, self._index(tf, pf), unit_is_rate=False, slack=slack)
                 if x.fact.unit in calc.MONEY_UNITS]
        if len(links) < 2 or links[0].cover == 1 or self._names_elsewhere(phrase, self._index(tf, pf), links[0]):
            return []  # "PC服务器分散自行组织": another document's row, not a choice among this one's
        best = links[0]
        tied = [x for x in links if x.key[:4] == best.key[:4] and x.matched == best.matched and x.name != best.name
                and best.cover - x.cover < 0.15]  # 工资福利 names 工资福利支出 better than 其他工资福利支出
        values = {calc.convert(x.fact.value, x.fact.unit, "元") for x in [best, *tied]}
        return [best.fact, *(x.fact for x in tied)] if tied and len(values) > 1 else []

    def _stated_elsewhere(self, f: Fact, phrase: str, tf: list[Fact], pf: list[Fact]) -> list[Fact]:
        """The same row, named the same way, in other tables of the document with another figure."""
        links = self._link(phrase, self._index(tf, pf), unit_is_rate=f.unit == "%",
                     slack=1 if len(CJK.findall(phrase)) >= 8 else 0)
        top = next((x for x in links if (x.fact.table, x.fact.row, x.fact.code) == (f.table, f.row, f.code)), None)
        if top is None or f.unit not in calc.MONEY_UNITS:
            return []
        seen = {calc.convert(f.value, f.unit, "元")}
        out: list[Fact] = []
        for x in links:
            g = x.fact
            if g.table in (f.table, "正文") or x.name != top.name or x.cover < 1 or x.column_fit != top.column_fit \
                    or g.unit not in calc.MONEY_UNITS or ("决算" in f.column) != ("决算" in g.column):
                continue
            value = calc.convert(g.value, g.unit, "元")
            if value not in seen:
                seen.add(value)
                out.append(g)
        return out[:2]

    def _measured(self, phrase: str, want: str, tf: list[Fact], pf: list[Fact]) -> Fact | None:
        """A figure of the measure the question names (年初预算数, 执行数 …), or none: the
        table's 决算数 is no answer to "年初预算是多少"."""
        subject = re.sub(r"的?(年初|调整|全年)$", "", MEASURE_WORDS_RE.sub("", phrase))
        stated = link_phrase(subject, build_index([], pf, (want,)), unit_is_rate=False)
        if stated:
            return stated[0].fact
        for x in self._link(subject, self._index(tf, pf), unit_is_rate=False):
            f = x.fact
            same = [g for g in tf if (g.table, g.row, g.code) == (f.table, f.row, f.code) and (
                want[:-1] in g.column  # a 决算 table's 预算数 is the 年初预算
                or (want == "年初预算数" and g.column == "预算数" and "决算" in g.table))]
            if same:
                return same[0]
        return None

    def _count(self, counted: str, pf: list[Fact]) -> Fact | None:
        """The count a per-unit figure divides by: "辆车" is a count in 辆 of 车 (车辆), "人" the
        staff (在职人员); the prose states counts."""
        m = re.match(r"^(辆|台|个|名|位|人|套|家|所|项|户)(.*)$", counted)
        unit, noun = (m.group(1), m.group(2)) if m else ("", counted)
        unit = "人" if unit in ("名", "位") else unit
        if re.search(r"(人数|人员|人|名)$", noun):
            unit, noun = "人", re.sub(r"(人数|人员|人|名)$", "", noun)
        counts = [f for f in pf if f.unit not in calc.MONEY_UNITS and f.unit != "%" and (not unit or f.unit == unit)]
        if not counts:
            return None
        if unit == "人" and not noun or noun in ("在职人员", "人员", "职工"):
            noun = "在职"
        index = build_index([], counts, tuple({f.column for f in counts}))
        found = link_phrase(noun, index) if noun else []
        if found:
            return found[0].fact
        named = [f for f in counts if unit and noun and all(ch in f.row for ch in noun)]
        return max(named, key=lambda f: f.value) if named else None  # 车辆 127辆 over its part 一般公务用车

    def _final_and_budget(self, phrase: str, tf: list[Fact], pf: list[Fact]) -> tuple[Fact, Fact] | None:
        links = self._link(phrase, self._index(tf, pf), unit_is_rate=False) if phrase else []
        for x in links[:5]:
            f = x.fact
            same = [g for g in (tf if f.table != "正文" else pf) if g.row == f.row and g.code == f.code
                    and g.table == f.table and (f.table != "正文" or g.quote == f.quote)
                    and g.unit in calc.MONEY_UNITS]
            final = next((g for g in same if "决算" in g.column), None)
            budget = next((g for w in ("全年预算", "调整预算", "年初预算", "预算")
                           for g in same if w in g.column and "决算" not in g.column), None)
            if final is not None and budget is not None:
                return final, budget
        for _, f in match_prose(phrase, pf, ("决算数",), strict=True)[:3]:
            budget = next((g for g in pf if g.row == f.row and g.column in ("全年预算数", "调整预算数", "年初预算数")
                           and g.unit in calc.MONEY_UNITS), None)
            if budget is not None:
                return f, budget
        return None

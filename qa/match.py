"""Find the facts a phrase names: by code, by row name (longest common substring, so
extra words in a question do no harm), by column, by the table's own words."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ingest.model import Fact

# The total row of a table is asked for by the table's topic.
TOPIC_OF_TYPE = {
    "三公经费表": "三公经费", "一般公共预算基本支出表": "基本支出",
    "结转结余表": "上年结转结余", "一般公共预算支出表": "一般公共预算支出",
    "收入总表": "收入合计", "支出总表": "支出合计", "政府采购表": "政府采购总额",
    "机关运行经费表": "机关运行经费",
}
# Broader tables first: a question that names no table means the whole budget.
TABLE_PRIORITY = ("收支总表", "支出总表", "收入总表", "三公经费表", "一般公共预算基本支出表",
                  "财政拨款收支总表", "一般公共预算支出表", "项目支出表", "结转结余表")
TOTAL_ROWS = ("合计", "总计")


def norm(text: str) -> str:
    text = re.sub(r"[\s“”\"'「」《》]", "", text)
    return text.replace("(", "（").replace(")", "）")


def lcs(a: str, b: str, by_sound: bool = True) -> int:
    """Length of the longest common substring, by syllable (a same-syllable slip of the input
    method still matches) unless `by_sound` is off; checks b's substrings, longest first."""
    from qa.link import sound

    if by_sound:
        a, b = sound(a), sound(b)
    n = len(b)
    for size in range(n, 0, -1):
        for i in range(n - size + 1):
            if b[i:i + size] in a:
                return size
    return 0


@dataclass(frozen=True)
class Match:
    fact: Fact
    row_score: int  # characters of the row name found in the phrase
    coverage: float  # share of the row name found
    qualifier: int  # characters of the table's title found in the rest of the phrase
    column_fit: int  # 2: column named, 1: default column, 0: another column named
    priority: int
    alias: bool = False  # matched by the table's topic, not the row's own name
    loose: bool = False  # matched on the whole question, not on its subject

    @property
    def score(self) -> float:
        return self.row_score * self.coverage

    @property
    def key(self) -> tuple[float, ...]:
        return (self.score, self.coverage, -self.alias, self.qualifier, self.column_fit, -self.priority)


def row_names(f: Fact) -> list[str]:
    """The row's own name, then for a total row the names of the table's topic."""
    names = [norm(f.row)]
    if f.row in TOTAL_ROWS:
        if f.table_type in TOPIC_OF_TYPE:
            names.append(TOPIC_OF_TYPE[f.table_type])
        if f.table_type.endswith("表") and len(f.table_type) > 6:
            names.append(f.table_type[:-1])  # 一般公共预算基本支出表 → 一般公共预算基本支出
    return names


def expand_synonyms(phrase: str) -> str:
    """The phrase with the documents' words for the people's words it holds (qa/lexicon.toml)."""
    from qa.normalise import lexicon

    out = phrase
    for word, printed in lexicon()["people"].items():
        doc_word = printed.split("|")[0]
        if word in phrase and doc_word not in phrase:
            out += "|" + doc_word
    return out


# "一般公共预算基本支出中，津贴补贴": the words before 中/里 say where, the rest what.
CONTEXT = re.compile(r"^(.+?(?:表|支出|预算|经费|收入|决算|资金|拨款|总额|采购))(?:中|里|里面|当中|之中)[，,]?(.{2,})$")


def split_context(phrase: str) -> tuple[str, str]:
    m = CONTEXT.match(norm(phrase))
    return (m.group(1), m.group(2)) if m else ("", norm(phrase))


def match_rows(phrase: str, facts: list[Fact], columns: set[str]) -> list[Match]:
    """Table facts whose row the phrase names, best first; everyday words only as a fallback."""
    context, subject = split_context(phrase)
    found = _match_rows(subject, facts, columns, context)
    if not found and context:
        found = [replace(m, loose=True) for m in _match_rows(norm(phrase), facts, columns)]
    wider = expand_synonyms(subject)
    return found or (_match_rows(wider, facts, columns, context) if wider != subject else [])


def _match_rows(phrase: str, facts: list[Fact], columns: set[str], context: str = "") -> list[Match]:
    codes = set(re.findall(r"\d{3}(?:\s?\d{2}){1,2}|\d{3}(?=\D|$)", phrase))
    codes = {c.replace(" ", "") for c in codes}
    named_cols = _named_columns(phrase, columns)
    by_table: dict[str, set[str]] = {}
    for f in facts:
        by_table.setdefault(f.table, set()).add(f.column)
    out: list[Match] = []
    for f in facts:
        best, cov, alias = 0, 0.0, False
        if f.code and f.code in codes:
            best, cov = 50, 1.0
        else:
            for k, name in enumerate(row_names(f)):
                if not name:
                    continue
                size = lcs(phrase, name)
                c = size / len(name)
                # the row fully named, or most of it and most of what was asked ("办公用房租金" ≠ 办公费)
                enough = c == 1 or size >= 6 or (c >= 0.6 and size / len(phrase.split("|")[0]) >= 0.5)
                if size >= 2 and enough and size * c > best * cov:
                    best, cov, alias = size, c, k > 0
        if not best:
            continue
        named_here = _named_columns(phrase, by_table[f.table]) if named_cols else named_cols
        out.append(replace(_match(f, best, cov, context + phrase, named_here), alias=alias))
    return sorted(out, key=lambda m: m.key, reverse=True)


GENERIC_SUBJECTS = ("支出", "收入", "预算", "决算", "年初", "资金", "经费", "金额", "合计", "其中")
GENERIC_COLUMNS = ("合计", "总计", "小计", "金额", "预算数")


def _named_columns(phrase: str, columns: set[str]) -> set[str]:
    """Columns the phrase names; "基本支出合计" names 基本支出, not also 合计."""
    named = {c for c in columns if norm(c) in phrase}
    specific = {c for c in named if c not in GENERIC_COLUMNS}
    return {c for c in specific if not any(c != d and c in d for d in specific)} or named


def match_columns(phrase: str, facts: list[Fact], columns: set[str]) -> list[Match]:
    """Total-row facts of a column the phrase names ("项目支出一共多少"); the words that say
    where ("一般公共预算基本支出中，公用经费") pick the table."""
    context, subject = split_context(phrase)
    named = {c for c in columns if len(c) >= 3 and norm(c) in subject}
    out = [
        _match(f, len(f.column), 1.0, context + subject, named)
        for f in facts if f.row in TOTAL_ROWS and f.column in named
    ]
    return sorted(out, key=lambda m: m.key, reverse=True)


def _match(f: Fact, size: int, cov: float, phrase: str, named_cols: set[str]) -> Match:
    rest = phrase
    for name in row_names(f):
        rest = rest.replace(name, "")
    title = norm(f.table.split(" ", 1)[-1])
    qual = lcs(rest, title)
    qualifier = qual if qual >= 4 else 0
    named_cols = {c for c in named_cols if norm(c) in rest}  # "支出合计" names a row, not the 合计 column
    if f.column in named_cols:
        fit = 2
    elif any(c != f.column for c in named_cols):
        fit = 0
    else:
        fit = 1 if _is_first_column(f) else 0
    prio = TABLE_PRIORITY.index(f.table_type) if f.table_type in TABLE_PRIORITY else 50
    return Match(f, size, cov, qualifier, fit, prio)


def _is_first_column(f: Fact) -> bool:
    return f.column in ("合计", "总计", "预算数", "项目支出合计", "金额", "数量")


def match_prose(phrase: str, facts: list[Fact], measures: tuple[str, ...],
                unit: str | None = None, strict: bool = False) -> list[tuple[float, Fact]]:
    """Prose facts of the wanted measure whose subject the phrase names, best first;
    `strict`: only on the phrase's subject, not on the words that say where."""
    context, subject = split_context(phrase)
    found = _match_prose(subject, facts, measures, unit)
    if not found and context and not strict:
        found = _match_prose(norm(phrase), facts, measures, unit)
    wider = expand_synonyms(subject)
    return found or (_match_prose(wider, facts, measures, unit) if wider != subject else [])


def _match_prose(phrase: str, facts: list[Fact], measures: tuple[str, ...],
                 unit: str | None) -> list[tuple[float, Fact]]:
    out: list[tuple[float, Fact]] = []
    for f in facts:
        if f.column not in measures:
            continue
        if unit and not _unit_ok(f.unit, unit):
            continue
        name = norm(f.row)
        if name in GENERIC_SUBJECTS and name != phrase:
            continue  # "支出 1073.77": a subject too bare to answer by
        size = lcs(phrase, name)
        if size < 2:
            continue
        cov = size / len(name)
        if cov < 0.6 and size < 4:
            continue
        section_bonus = lcs(phrase, norm(f.section)) / 100
        out.append((size * cov + section_bonus, f))
    return sorted(out, key=lambda x: x[0], reverse=True)


def _unit_ok(fact_unit: str, wanted: str) -> bool:
    money = ("元", "万元", "亿元")
    if wanted in money or wanted == "money":
        return fact_unit in money
    return fact_unit == wanted

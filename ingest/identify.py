"""Which unit, year and kind of disclosure a document is, from its own text."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ingest.model import Page

UNIT_CHARS = r"[\u4e00-\u9fff（）()“”\"]"
TITLE = re.compile(rf"({UNIT_CHARS}{{2,40}}?)\s*(20\d\d)\s*年度?\s*(部门|单位)?\s*(预算|决算)")
ISSUER = re.compile(rf"(?:编制单位|单位名称(?:（盖章）)?|部门名称|预算单位)\s*[:：]?\s*({UNIT_CHARS}{{2,40}})")
YEAR = re.compile(r"(20\d\d)\s*年")
LEAD_NOISE = re.compile(r"^(第[一二三四五六七八九十]+部分|关于|附件\d*|公开|目录)+")


@dataclass(frozen=True)
class Identity:
    unit: str
    year: int | None
    kind: str  # 预算 | 决算
    scope: str  # 部门 | 单位
    region: str

    @property
    def title(self) -> str:
        year = f"{self.year}年" if self.year else ""
        return f"{self.unit}{year}{self.scope}{self.kind}公开"


def identify(pages: list[Page], file_name: str = "") -> Identity:
    text = "\n".join(p.text for p in pages)
    flat = re.sub(r"\s+", "", text)
    units = Counter(m.group(1) for m in ISSUER.finditer(text))
    unit = units.most_common(1)[0][0] if units else ""
    title_units: Counter[str] = Counter()
    for m in TITLE.finditer(re.sub(r"\s+", "", "\n".join(p.text for p in pages[:3])) + flat[:3000]):
        title_units[_trim_unit(m.group(1))] += 1
    if not unit and title_units:
        unit = title_units.most_common(1)[0][0]
    if not unit:
        stem = re.sub(r"[\d_\-.]+|pdf|txt", "", file_name)
        unit = _trim_unit(stem) or file_name
    years = Counter(int(y) for y in YEAR.findall(text[:20000]))
    year = _main_year(years, flat)
    kind = "决算" if flat.count("决算") >= max(3, flat.count("预算") // 4) else "预算"
    scope = "部门" if flat.count("部门预算") + flat.count("部门决算") > \
        flat.count("单位预算") + flat.count("单位决算") else "单位"
    region = _region(unit)
    return Identity(unit=unit, year=year, kind=kind, scope=scope, region=region)


def _trim_unit(name: str) -> str:
    name = LEAD_NOISE.sub("", name)
    return re.sub(r"(单位|部门)$", "", name)


def _main_year(years: Counter[int], flat: str) -> int | None:
    """The budget year: the one named with 预算/决算 most, else the most frequent."""
    named = Counter(int(y) for y in re.findall(r"(20\d\d)年度?(?:部门|单位)?(?:预算|决算)", flat))
    if named:
        return named.most_common(1)[0][0]
    return years.most_common(1)[0][0] if years else None


def _region(unit: str) -> str:
    m = re.match(r"(.{2,8}?[省市区县])", unit)
    return m.group(1) if m else ""

"""Which unit, year and kind of disclosure a document is, from its own text."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ingest.model import Page

UNIT_CHARS = r"[\u4e00-\u9fff（）()“”\"]"
TITLE = re.compile(rf"({UNIT_CHARS}{{2,40}}?)\s*(20\d\d)\s*年度?\s*(部门|单位)?\s*(预算|决算)")
ISSUER = re.compile(rf"(?:编制单位|编制部门|预算主管部门|主管部门|单位名称(?:（盖章）)?|部门名称|预算单位|部门)"
                    rf"\s*[:：]\s*({UNIT_CHARS}{{2,40}})")
# The ending of an organisation's name: 江苏省人民检察院, 上海市普陀区财政局, …街道办事处
ORG_END = re.compile(r"(局|院|厅|委员会|委|办公室|办事处|中心|站|所|队|馆|会|部|处|校|学校|医院|社|公司|政府|署|室)$")
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
    units = Counter(m.group(1) for m in ISSUER.finditer(text) if ORG_END.search(m.group(1)))
    unit = units.most_common(1)[0][0] if units else ""
    if not unit and pages:
        cover = [squashed for line in pages[0].text.split("\n")
                 if 4 <= len(squashed := re.sub(r"\s+", "", line)) <= 40
                 and re.fullmatch(rf"{UNIT_CHARS}+", squashed) and ORG_END.search(squashed)]
        unit = cover[0] if cover else ""
    title_units: Counter[str] = Counter()
    for m in TITLE.finditer(re.sub(r"\s+", "", "\n".join(p.text for p in pages[:3])) + flat[:3000]):
        title_units[_trim_unit(m.group(1))] += 1
    if not unit and title_units:
        unit = next((u for u, _ in title_units.most_common() if ORG_END.search(u)),
                    title_units.most_common(1)[0][0])
    if not unit:
        stem = re.sub(r"[\d_\-.]+|pdf|txt", "", file_name)
        unit = _trim_unit(stem) or file_name
    years = Counter(int(y) for y in YEAR.findall(text[:20000]))
    front = re.sub(r"\s+", "", pages[0].text[:400]) if pages else ""
    named = re.findall(r"(20\d\d)年度?(?:[省市区县]级)?(?:部门|单位)?(?:预算|决算)", front)
    dated = {int(y) for y in re.findall(r"(20\d\d)年\d{1,2}月", front)}  # a publication date is not the year
    plain = [int(y) for y in re.findall(r"(20\d\d)年", front) if int(y) not in dated]
    year = int(named[0]) if named else plain[0] if plain else _main_year(years, flat)
    kind = "决算" if flat.count("决算") >= max(3, flat.count("预算") // 4) else "预算"
    dept = flat.count("部门预算") + flat.count("部门决算")
    own = flat.count("单位预算") + flat.count("单位决算")
    scope = "部门" if dept > own else "单位" if own else ""
    region = _region(unit)
    return Identity(unit=unit, year=year, kind=kind, scope=scope, region=region)


def unit_key(unit: str) -> str:
    """The unit as one document's identity: "中共江苏省委办公厅" and "江苏省委办公厅" are one."""
    return re.sub(r"^(中国共产党|中共)", "", re.sub(r"\s+", "", unit))


def _trim_unit(name: str) -> str:
    name = LEAD_NOISE.sub("", name)
    return re.sub(r"(单位|部门)$", "", name)


def _main_year(years: Counter[int], flat: str) -> int | None:
    """The budget year: the one named with 预算/决算 most, else the most frequent."""
    named = Counter(int(y) for y in re.findall(r"(20\d\d)年度?(?:[省市区县]级)?(?:部门|单位)?(?:预算|决算)", flat))
    if named:
        return named.most_common(1)[0][0]
    return years.most_common(1)[0][0] if years else None


def _region(unit: str) -> str:
    m = re.match(r"(.{2,8}?[省市区县])", unit_key(unit))
    return m.group(1) if m else ""

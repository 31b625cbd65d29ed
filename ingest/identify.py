"""Which unit, year, kind and scope of disclosure a document is, from its own text.

One procedure votes across the places a disclosure names itself: the cover (its
lines joined, so a name broken over two lines is whole), the running page headers,
the 编制单位/部门 lines of the tables and the titles of the 情况说明 ("关于…2024年…
的说明"). Contents-page and section headings ("目录", "第二部分", "一、") are cut off a
name; a name nobody recognises (和静县第37号单位) is still the unit, because the
places that print it say so, not a list of known endings.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ingest.model import Page
from ingest.names import REGION_ONLY, canonical_unit, unit_key

NAME_CHARS = r"[\u4e00-\u9fff0-9（）()“”\"]"
TITLE = re.compile(rf"({NAME_CHARS}{{2,40}}?)(20\d\d)年度?(?:[省市区县]级)?(部门|单位)?(预算|决算)")
YEAR_FIRST = re.compile(rf"(20\d\d)年度?({NAME_CHARS}{{2,40}}?)(部门|单位)?(预算|决算)")
ABOUT = re.compile(rf"关于({NAME_CHARS}{{2,40}}?)(20\d\d)年度?")
ISSUER = re.compile(rf"(?:编制单位|编制部门|预算主管部门|主管部门|单位名称(?:（盖章）)?|部门名称|预算单位|部门)"
                    rf"[:：]({NAME_CHARS}{{2,40}})")
UNIT_LINE = re.compile(r"(?:金额|计量)?单位[:：](?=万元|元|亿元)")
# everything up to the last contents-page or section heading is not part of a name
HEADING = re.compile(r"^.*(?:目录|目次|第[一二三四五六七八九十]+部分|[部单][门位]概况|名词解释|情况说明|说明"
                     r"|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|附件\d*|关于|公开|印制)")
NOT_A_NAME = re.compile(r"预算|决算|收支|收入|支出|报表|年度|公开|说明|经费|拨款|科目|合计|项目|情况"
                        r"|一般公共|政府性基金|国有资本|汇总|部门|本级")
ORG_END = re.compile(r"(局|院|厅|委|办事处|中心|站|所|队|馆|会|部|处|校|学|医院|社|公司|政府|署|室|单位)$")
YEAR = re.compile(r"(20\d\d)\s*年")
# how much one sighting counts: the cover names the document; a table's 编制单位 names the issuer
WEIGHTS = {"cover": 4, "issuer": 2, "header": 2, "explanation": 2, "title": 1}


@dataclass(frozen=True)
class Identity:
    unit: str
    year: int | None
    kind: str  # 预算 | 决算
    scope: str  # 部门 | 单位
    region: str
    evidence: tuple[str, ...] = ()  # where the unit was read: cover, issuer, header, explanation, title

    @property
    def title(self) -> str:
        year = f"{self.year}年" if self.year else ""
        return f"{self.unit}{year}{self.scope}{self.kind}公开"

    def describe(self) -> str:
        seen = "、".join(self.evidence) or "文件名"
        return (f"单位 {self.unit}，年度 {self.year or '?'}，{self.scope or '?'}{self.kind}"
                f"（依据：{seen}）")


def identify(pages: list[Page], file_name: str = "") -> Identity:
    votes = unit_votes(pages)
    unit, evidence = decide_unit(votes)
    if not unit:
        unit = canonical_unit(_trim(re.sub(r"[\d_\-.]+|pdf|txt|wt\d*", "", file_name)) or file_name)
    text = "\n".join(p.text for p in pages)
    flat = re.sub(r"\s+", "", text)
    titles = [t for p in pages[:3] for t in _titles(_joined(p))] + _titles(flat[:3000])
    year = _year(pages, flat, text)
    kinds = Counter(kind for _, _, _, kind in titles)
    kind = kinds.most_common(1)[0][0] if kinds else \
        "决算" if flat.count("决算") >= max(3, flat.count("预算") // 4) else "预算"
    scopes = Counter(scope for _, _, scope, _ in titles if scope)
    dept = flat.count("部门预算") + flat.count("部门决算")
    own = flat.count("单位预算") + flat.count("单位决算")
    scope = scopes.most_common(1)[0][0] if scopes else "部门" if dept > own else "单位" if own else ""
    return Identity(unit=unit, year=year, kind=kind, scope=scope, region=_region(unit), evidence=evidence)


def unit_votes(pages: list[Page]) -> dict[str, Counter[str]]:
    """Each candidate name → how often each kind of place printed it."""
    votes: dict[str, Counter[str]] = {}

    def vote(name: str, source: str, trim: bool = True) -> None:
        name = _clean(name, trim)
        if name:
            votes.setdefault(name, Counter())[source] += 1

    for p in pages[:2]:
        cover = _joined(p).split("目录")[0]
        named = _titles(cover)
        for name, *_ in named:
            vote(name, "cover")
        if named:
            break
    for p in pages:
        for line in UNIT_LINE.sub("\n", p.text).split("\n"):
            for m in ISSUER.finditer(re.sub(r"\s+", "", line)):
                vote(m.group(1), "issuer", trim=False)
    for line in _running_lines(pages):
        for name, *_ in _titles(line):
            vote(name, "header")
    for p in pages:
        for line in p.text.split("\n"):
            squashed = re.sub(r"\s+", "", line)
            for m in ABOUT.finditer(squashed):
                vote(m.group(1), "explanation")
            if len(squashed) <= 40:
                for name, *_ in _titles(squashed):
                    vote(name, "title")
    return votes


def decide_unit(votes: dict[str, Counter[str]]) -> tuple[str, tuple[str, ...]]:
    """The best-supported name; a longer name containing it wins when printed as a name too
    (a unit cut at a line break, 中共江苏省委 for 中共江苏省委办公厅). The spellings of one
    unit vote together, under its canonical name (ingest.names)."""
    if not votes:
        return "", ()
    spelled: dict[str, Counter[str]] = {}
    for name, seen in votes.items():
        spelled.setdefault(canonical_unit(name), Counter()).update(seen)
    votes = spelled

    def score(name: str) -> int:
        return sum(WEIGHTS[s] * min(n, 2 if s == "title" else 5) for s, n in votes[name].items())

    best = max(votes, key=lambda n: (score(n), len(n)))
    longer = [n for n in votes if best in n and n != best and score(n) >= 2
              and (ORG_END.search(n) or "issuer" in votes[n] or "cover" in votes[n])]
    if longer:
        best = max(longer, key=lambda n: (score(n), len(n)))
    related = [n for n in votes if n in best or best in n]
    evidence = tuple(sorted({s for n in related for s in votes[n]}, key=list(WEIGHTS).index))
    return best, evidence


def _clean(name: str, trim: bool) -> str:
    name = HEADING.sub("", re.sub(r"\s+", "", name))
    name = re.sub(r"[（(]盖章[)）]$", "", name).strip("“”\"（）()")
    if trim:
        name = _trim(name)
    if not 3 <= len(name) <= 40 or NOT_A_NAME.search(name) or re.fullmatch(r"[\d（）()]+", name) \
            or REGION_ONLY.fullmatch(name):
        return ""
    return name


def _trim(name: str) -> str:
    return re.sub(r"(?<=.{3})(单位|部门|本级)$", "", name)


def _titles(text: str) -> list[tuple[str, str, str, str]]:
    """(name, year, scope, kind) of each "<unit>2024年部门预算" or "2024年<unit>部门预算" in text."""
    out = [(m.group(1), m.group(2), m.group(3) or "", m.group(4)) for m in TITLE.finditer(text)]
    out += [(m.group(2), m.group(1), m.group(3) or "", m.group(4)) for m in YEAR_FIRST.finditer(text)]
    return out


def _joined(page: Page) -> str:
    """A page's text with no line breaks or spaces: names broken over lines are whole."""
    return re.sub(r"\s+", "", page.text)


def _running_lines(pages: list[Page]) -> list[str]:
    """Lines printed at the top or bottom of three or more pages: running headers and footers."""
    seen: Counter[str] = Counter()
    for p in pages:
        lines = [re.sub(r"\s+", "", x) for x in p.text.split("\n") if x.strip()]
        seen.update(set(lines[:2] + lines[-2:]))
    return [line for line, n in seen.items() if n >= 3 and len(line) <= 60]


def _year(pages: list[Page], flat: str, text: str) -> int | None:
    front = re.sub(r"\s+", "", pages[0].text[:400]) if pages else ""
    named = re.findall(r"(20\d\d)年度?(?:[省市区县]级)?(?:部门|单位)?(?:预算|决算)", front)
    dated = {int(y) for y in re.findall(r"(20\d\d)年\d{1,2}月", front)}  # a publication date is not the year
    plain = [int(y) for y in re.findall(r"(20\d\d)年", front) if int(y) not in dated]
    if named:
        return int(named[0])
    if plain:
        return plain[0]
    named_all = Counter(int(y) for y in re.findall(r"(20\d\d)年度?(?:[省市区县]级)?(?:部门|单位)?(?:预算|决算)", flat))
    if named_all:
        return named_all.most_common(1)[0][0]
    years = Counter(int(y) for y in YEAR.findall(text[:20000]))
    return years.most_common(1)[0][0] if years else None


def _region(unit: str) -> str:
    m = re.match(r"(.{2,8}?[省市区县])", unit_key(unit))
    return m.group(1) if m else ""

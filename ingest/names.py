"""A unit's name in one canonical spelling, the key that makes its spellings one unit, and
the forms people say it by (the gazetteer the question side matches against).

Disclosures spell one unit several ways: the tables of 中共江苏省委办公厅 say 中国共产党
江苏省委员会办公厅, its prose says 江苏省委办公厅; a district's 人民政府 is also printed
政府. A table's unit-of-amount line can leave a stray character on the issuer
(江苏省高级人民法院元). These are rules of the names themselves, not entries: a party
committee of a place is 中共<place>委; a government of a place is <place>人民政府.
"""

from __future__ import annotations

import re
from functools import lru_cache

# a chain of places: 江苏省, 上海市普陀区, 新疆维吾尔自治区巴音郭楞蒙古自治州和静县
ONE_PLACE = r"[\u4e00-\u9fff]{1,7}?(?:自治区|自治州|自治县|省|市|地区|盟|区|县|旗|镇)"
PLACE = rf"(?:{ONE_PLACE})+"
REGION_ONLY = re.compile(PLACE)
PARTY_FULL = re.compile(rf"^中国共产党({PLACE})委员会(.+)$")
PARTY_SHORT = re.compile(rf"^(?:中共)?({PLACE})委(?!员会)(.+)$")
GOVERNMENT = re.compile(rf"^({PLACE})政府")
# an organisation's name ends on its head word; what follows it on an issuer line is the
# table's unit of amount ("单位：万元") run into the name
HEAD = re.compile(r"(局|院|厅|委|办事处|中心|站|所|队|馆|会|部|处|校|学|医院|社|公司|政府|署|室|办)")
STRAY = re.compile(r"(?:金额|计量)?(?:单位)?[:：]?(?:万元|亿元|元|万)$")


def canonical_unit(name: str) -> str:
    """The one spelling of a unit: 中国共产党江苏省委员会办公厅, 中共江苏省委办公厅 and
    江苏省委办公厅 → 中共江苏省委办公厅; 上海市普陀区政府办公室 → 上海市普陀区人民政府办公室;
    江苏省高级人民法院元 → 江苏省高级人民法院. A name no rule touches is returned as printed
    (white space removed)."""
    name = _strip_stray(re.sub(r"\s+", "", name))
    m = PARTY_FULL.match(name)
    if m:
        name = f"中共{m.group(1)}委{m.group(2)}"
    m = PARTY_SHORT.match(name)
    if m and not name.startswith("中共"):
        name = f"中共{m.group(1)}委{m.group(2)}"
    m = GOVERNMENT.match(name)
    if m:
        name = f"{m.group(1)}人民政府{name[m.end():]}"
    return name


def unit_key(name: str) -> str:
    """The unit as one document's identity: every spelling of one unit gives one key (the
    canonical name without its 中共, so that the keys earlier versions stored stay)."""
    return canonical_unit(name).removeprefix("中共")


def same_unit(a: str, b: str) -> bool:
    return unit_key(a) == unit_key(b)


@lru_cache(maxsize=10_000)
def unit_aliases(name: str) -> tuple[str, ...]:
    """The canonical name first, then the other spellings of it a document or a person
    uses: the full party name and the one without 中共, 政府 for 人民政府, and each of these
    without its outer places (普陀区人民政府办公室 for 上海市普陀区人民政府办公室)."""
    canonical = canonical_unit(name)
    spellings = [canonical]
    m = PARTY_SHORT.match(canonical)
    if m and canonical.startswith("中共"):
        place, rest = m.group(1), m.group(2)
        spellings += [f"{place}委{rest}", f"中国共产党{place}委员会{rest}"]
    spellings += [s.replace("人民政府", "政府") for s in spellings if "人民政府" in s]
    out = list(spellings)
    for s in spellings:
        out += _inner(s)
    return tuple(dict.fromkeys(x for x in out if len(x) >= 3))


def place_of(name: str) -> str:
    """The places a unit's name starts with: 上海市普陀区 of 上海市普陀区司法局."""
    m = re.match(PLACE, unit_key(name))
    return m.group(0) if m else ""


def _inner(name: str) -> list[str]:
    """The name without its outer places, keeping at least one: 普陀区司法局."""
    prefix = "中共" if name.startswith("中共") else "中国共产党" if name.startswith("中国共产党") else ""
    body = name[len(prefix):]
    places = re.findall(ONE_PLACE, place_of(body))
    out = []
    for k in range(1, len(places)):
        rest = body[len("".join(places[:k])):]
        out.append(prefix + rest)
    return out


def _strip_stray(name: str) -> str:
    m = STRAY.search(name)
    if m and m.start() > 2 and HEAD.search(name[m.start() - 1]):
        return name[:m.start()]
    return name

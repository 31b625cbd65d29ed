"""Synthetic disclosures for the benchmark: the seed text under other unit names, years and
figures, written as .txt extracts the ingest reads, with a manifest of the right answers.

    python -m eval.synth --n 1000 --out /tmp/syn [--seed 12]

Every amount is multiplied by one whole factor per document, so each table still adds up
exactly (a sum of parts times k is the total times k) and every share or growth rate in
the prose stays true; counts, codes, dates and thresholds (50万元以上) are left alone.
Years move together (the seed's 2024 becomes the document's year, 2023 its previous one).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

from eval.synth_names import DEPARTMENTS, PLACES, YEARS

SEED = Path(__file__).resolve().parent.parent / "samples" / "000_0733fe522b96b6fc.txt"
SEED_UNIT = "和静县社会保险中心"
SEED_NAMES = ("和静县社会保险中心", "和静县社会保险管理局")  # the prose names it both ways
SEED_YEAR = 2024
MAX_FACTOR = 40

# Money: a figure with two decimals (every table cell, most of the prose) that is not a
# percentage, or a figure the prose gives in 万元 that is not a threshold (50万元以上).
# Years: 2015–2029 standing alone. One pass, so a scaled figure is never read as a year.
_FIGURE = re.compile(
    r"(?<![\d.])(?P<money>\d+\.\d{2})(?![\d.])(?!\s*%)"
    r"|(?<![\d.])(?P<wan>\d+(?:\.\d)?)(?![\d.])(?=\s*万)(?!\s*万\s*元?\s*以上)"
    r"|(?<!\d)(?P<year>20(?:1[5-9]|2\d))(?![\d.])")  # a year may follow a list's "1."

# Facts the bench asks about: (how a citizen names it, the stored table type, row and
# column, the seed's figure in 万元), as `budget-qa facts` shows them for the seed.
SEED_FACTS = (
    ("三公经费", "三公经费表", "合计", "合计", "2.28"),
    ("公务接待费", "三公经费表", "公务接待费", "合计", "0.14"),
    ("公务用车运行费", "三公经费表", "公务用车运行费", "合计", "2.14"),
    ("基本支出", "支出总表", "合计", "基本支出", "308.44"),
    ("项目支出", "支出总表", "合计", "项目支出", "87.40"),
    ("人员经费", "一般公共预算基本支出表", "合计", "人员经费", "297.64"),
    ("公用经费", "一般公共预算基本支出表", "合计", "公用经费", "10.80"),
    ("住房公积金", "一般公共预算基本支出表", "住房公积金", "合计", "21.86"),
)


@dataclass(frozen=True)
class Fact:
    asked_as: str  # the words a question uses
    table_type: str
    row: str
    column: str
    value: str  # a decimal string, as `budget-qa facts` prints it
    unit: str


@dataclass(frozen=True)
class SynthDoc:
    file: str
    unit: str
    year: int
    kind: str
    scope: str
    place: str
    department: str
    factor: int
    facts: tuple[Fact, ...]


def choose_units(n: int, rng: random.Random) -> list[tuple[str, str, int]]:
    """n distinct (place, department, year); units repeat across years the way real
    archives do, so a question must get the year right as well as the unit. The first n
    of a larger corpus of the same seed: N=50 is a part of N=200, whose ingest can reuse it."""
    combos = [(p, d, y) for p in PLACES for d in DEPARTMENTS for y in YEARS]
    if n > len(combos):
        raise ValueError(f"at most {len(combos)} synthetic documents")
    rng.shuffle(combos)
    return combos[:n]


def scale_figures(text: str, factor: int, year_shift: int) -> str:
    """Every amount times `factor` (exact: two decimals stay two decimals) and every year
    moved by `year_shift`."""

    def sub(m: re.Match[str]) -> str:
        if m.group("year"):
            return str(int(m.group("year")) + year_shift)
        figure = m.group("money") or m.group("wan")
        value = Decimal(figure) * factor
        return f"{value:.{len(figure.partition('.')[2])}f}"

    return _FIGURE.sub(sub, text)


def render(seed_text: str, place: str, department: str, year: int, factor: int) -> str:
    unit = place + department
    text = seed_text
    for name in SEED_NAMES:
        text = text.replace(name, unit)
    text = text.replace("全县", "全" + place[-1])  # 全市, 全区 for a city's or district's unit
    return scale_figures(text, factor, year - SEED_YEAR)


def generate(n: int, out: Path, seed: int = 12, seed_file: Path = SEED) -> list[SynthDoc]:
    """Write n disclosures and `manifest.jsonl` into `out`; returns what was written."""
    rng = random.Random(seed)
    seed_text = seed_file.read_text(encoding="utf-8")
    out.mkdir(parents=True, exist_ok=True)
    docs: list[SynthDoc] = []
    for i, (place, dept, year) in enumerate(choose_units(n, rng)):
        factor = random.Random(f"{seed}/{i}").randint(1, MAX_FACTOR)
        name = f"syn_{i:04d}.txt"
        (out / name).write_text(render(seed_text, place, dept, year, factor), encoding="utf-8")
        facts = tuple(Fact(asked, table, row, column, str(Decimal(v) * factor), "万元")
                      for asked, table, row, column, v in SEED_FACTS)
        docs.append(SynthDoc(name, place + dept, year, "预算", "单位", place, dept, factor, facts))
    with open(out / "manifest.jsonl", "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(asdict(d), ensure_ascii=False) + "\n")
    return docs


def read_manifest(folder: Path) -> list[SynthDoc]:
    docs = []
    for line in (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        raw["facts"] = tuple(Fact(**f) for f in raw["facts"])
        docs.append(SynthDoc(**raw))
    return docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.synth", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, required=True, help="how many documents")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write (.txt + manifest.jsonl)")
    parser.add_argument("--seed", type=int, default=12, help="random seed: the same seed, the same corpus")
    args = parser.parse_args(argv)
    docs = generate(args.n, args.out, args.seed)
    print(f"{len(docs)} documents, {len({d.unit for d in docs})} units, in {args.out} (manifest.jsonl)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

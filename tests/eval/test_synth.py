"""The synthetic corpus for the benchmark: distinct confusable units, each document ingested
as itself, and figures that still add up."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from eval.synth import generate, read_manifest, scale_figures
from eval.synth_names import DEPARTMENTS, PLACES
from ingest import Store, ingest_paths


def test_names_are_many_distinct_and_confusable() -> None:
    units = [p + d for p in PLACES for d in DEPARTMENTS]
    assert len(PLACES) >= 100 and len(DEPARTMENTS) >= 20
    assert len(set(units)) == len(units)
    assert {"和静县教育局", "和硕县教育局", "新和县财政局", "和静县财政局"} <= set(units)


def test_documents_are_distinct_and_reproducible(tmp_path: Path) -> None:
    docs = generate(300, tmp_path / "a", seed=3)
    assert len({(d.unit, d.year) for d in docs}) == 300
    assert len({d.unit for d in docs}) < 300  # some units in several years: the year matters too
    again = generate(300, tmp_path / "b", seed=3)
    assert docs == again == read_manifest(tmp_path / "a")
    assert (tmp_path / "a" / "syn_0007.txt").read_bytes() == (tmp_path / "b" / "syn_0007.txt").read_bytes()
    assert generate(50, tmp_path / "c", seed=3) == docs[:50]  # a smaller corpus is a part of a larger one


@pytest.mark.parametrize("text, factor, shift, expected", [
    ("合计 3.00 1.25 1.75", 7, 0, "合计 21.00 8.75 12.25"),  # still adds up
    ("占 77.92%，增长 8.54 %", 9, 0, "占 77.92%，增长 8.54 %"),  # shares and rates stay true
    ("开展 4 万元，价值 20.1 万\n元", 3, 0, "开展 12 万元，价值 60.3 万\n元"),
    ("单位价值 50 万元以上大型设备，100 万\n\n元以上", 3, 0, "单位价值 50 万元以上大型设备，100 万\n\n元以上"),
    ("2024 年预算，比 2023 年；1.2023 年；[2022]32 号", 2, 1, "2025 年预算，比 2024 年；1.2024 年；[2023]32 号"),
    ("编制数 19，1837 平方米，19999178711，≥9213 人", 5, 2, "编制数 19，1837 平方米，19999178711，≥9213 人"),
    ("开展 506 万元", 4, 1, "开展 2024 万元"),  # a scaled figure is not then read as a year
])
def test_scale_figures(text: str, factor: int, shift: int, expected: str) -> None:
    assert scale_figures(text, factor, shift) == expected


def test_each_document_ingests_as_its_unit_and_year(tmp_path: Path, seed_store: Store) -> None:
    docs = generate(3, tmp_path / "corpus", seed=5)
    store = Store(tmp_path / "data")
    results = ingest_paths([tmp_path / "corpus"], store)
    assert not [r.error for r in results if r.error]
    stored = {(d.unit, d.year, d.kind) for d in store.documents()}
    assert stored == {(d.unit, d.year, d.kind) for d in docs}
    seed_problems = sum(not f.ok for f in seed_store.findings())
    by_unit = {d.unit: d.doc_id for d in store.documents()}
    for d in docs:
        facts = store.facts(by_unit[d.unit])
        for want in d.facts:
            assert any(f.table_type == want.table_type and f.row == want.row and f.column == want.column
                       and f.value == Decimal(want.value) for f in facts), (d.unit, want)
        assert sum(not f.ok for f in store.findings(by_unit[d.unit])) <= seed_problems

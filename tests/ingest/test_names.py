"""One canonical spelling per unit, the key its spellings share, the forms it is said by."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import Store, ingest_paths
from ingest.names import canonical_unit, unit_aliases, unit_key
from tests.conftest import SEED

SPELLINGS = [
    ("中国共产党江苏省委员会办公厅", "中共江苏省委办公厅"),
    ("中共江苏省委办公厅", "中共江苏省委办公厅"),
    ("江苏省委办公厅", "中共江苏省委办公厅"),
    ("上海市普陀区委社会工作部", "中共上海市普陀区委社会工作部"),
    ("上海市普陀区政府办公室", "上海市普陀区人民政府办公室"),
    ("上海市普陀区人民政府办公室", "上海市普陀区人民政府办公室"),
    ("江苏省高级人民法院元", "江苏省高级人民法院"),
    ("江苏省高级人民法院万元", "江苏省高级人民法院"),
    ("江苏省高级人民法院 单位：万元", "江苏省高级人民法院"),
    # not a party committee of a place: a committee of the government keeps its name
    ("上海市普陀区商务委员会", "上海市普陀区商务委员会"),
    ("江苏省人大常委会办公厅", "江苏省人大常委会办公厅"),
    ("江苏省发展和改革委员会", "江苏省发展和改革委员会"),
    ("和静县社会保险中心", "和静县社会保险中心"),
]


@pytest.mark.parametrize(("printed", "canonical"), SPELLINGS)
def test_a_unit_has_one_canonical_spelling(printed: str, canonical: str) -> None:
    assert canonical_unit(printed) == canonical
    assert unit_key(printed) == unit_key(canonical)


def test_spellings_of_one_unit_share_a_key_and_others_do_not() -> None:
    assert len({unit_key(p) for p, c in SPELLINGS if c == "中共江苏省委办公厅"}) == 1
    assert unit_key("江苏省委办公厅") != unit_key("江苏省政协办公厅")
    assert unit_key("上海市普陀区商务委员会") != unit_key("上海市普陀区委社会工作部")


def test_the_aliases_are_every_spelling_and_the_inner_forms() -> None:
    aliases = unit_aliases("中国共产党上海市普陀区委员会社会工作部")
    assert aliases[0] == "中共上海市普陀区委社会工作部"
    assert {"上海市普陀区委社会工作部", "中国共产党上海市普陀区委员会社会工作部", "中共普陀区委社会工作部",
            "普陀区委社会工作部"} <= set(aliases)
    assert set(unit_aliases("上海市普陀区人民政府办公室")) == {
        "上海市普陀区人民政府办公室", "上海市普陀区政府办公室", "普陀区人民政府办公室", "普陀区政府办公室"}
    assert unit_aliases("江苏省高级人民法院") == ("江苏省高级人民法院",)
    assert {unit_key(a) for a in aliases if "上海市" in a} == {unit_key(aliases[0])}


def _spelled(tmp_path: Path, name: str, unit: str, extra: str = "") -> Path:
    path = tmp_path / name
    path.write_text(SEED.read_text(encoding="utf-8").replace("和静县社会保险中心", unit) + extra, encoding="utf-8")
    return path


def test_files_of_one_unit_spelled_two_ways_are_one_document(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    short = _spelled(tmp_path, "a.txt", "和静县委组织部")
    full = _spelled(tmp_path, "b.txt", "中国共产党和静县委员会组织部", "\n")
    results = ingest_paths([short, full], store)
    assert not [r.error for r in results if r.error]
    [doc] = store.documents()
    assert doc.unit == "中共和静县委组织部"
    assert doc.title == "中共和静县委组织部2024年单位预算公开"


def test_a_government_spelled_without_its_people_is_the_same_document(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    results = ingest_paths([_spelled(tmp_path, "a.txt", "和静县人民政府办公室"),
                            _spelled(tmp_path, "b.txt", "和静县政府办公室", "\n")], store)
    assert not [r.error for r in results if r.error]
    assert [d.unit for d in store.documents()] == ["和静县人民政府办公室"]

"""Which document a file belongs to: unit, year, kind and scope."""

from __future__ import annotations

from pathlib import Path

from ingest import Store, ingest_paths
from tests.conftest import SEED


def test_a_units_department_and_unit_disclosures_stay_two_documents(tmp_path: Path) -> None:
    department = tmp_path / "dept.txt"
    department.write_text(SEED.read_text(encoding="utf-8").replace("单位预算", "部门预算"), encoding="utf-8")
    store = Store(tmp_path / "data")
    results = ingest_paths([SEED, department], store)
    assert not [r.error for r in results if r.error]
    titles = sorted(d.title for d in store.documents())
    assert titles == ["和静县社会保险中心2024年单位预算公开", "和静县社会保险中心2024年部门预算公开"]
    assert len({r.doc_id for r in results}) == 2


def test_a_copy_under_another_name_replaces_rather_than_doubles(tmp_path: Path) -> None:
    copy = tmp_path / "copy.txt"
    copy.write_text(SEED.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # other bytes, same tables
    store = Store(tmp_path / "data")
    ingest_paths([SEED], store)
    before = len(store.facts())
    ingest_paths([copy], store)
    [doc] = store.documents()
    assert len(store.facts()) == before
    assert store.files(doc.doc_id) == ["copy.txt"]

"""Which document a file belongs to: unit, year, kind and scope."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import Store, ingest_paths
from ingest.identify import identify
from ingest.model import Page
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


UNIT_NAMES = [f"和静县第{n}号单位" for n in range(1, 31)] + \
    [f"和静县第{c}中学" for c in "一二三四五六七八九十"] + \
    ["和静县水利局", "和静县林业和草原局", "和静县审计局", "和静县统计局", "和静县民政局",
     "和静县人民医院", "和静县巴润哈尔莫敦镇人民政府", "和静县档案馆", "和静县气象站", "和静县老干部活动中心"]


@pytest.mark.slow
def test_fifty_units_that_differ_only_by_name_are_fifty_documents(tmp_path: Path) -> None:
    seed = SEED.read_text(encoding="utf-8")
    files = []
    for k, name in enumerate(UNIT_NAMES):
        f = tmp_path / f"{k:03d}.txt"  # the file name says nothing of the unit
        f.write_text(seed.replace("和静县社会保险中心", name), encoding="utf-8")
        files.append(f)
    store = Store(tmp_path / "data")
    results = ingest_paths(files, store)
    assert len(UNIT_NAMES) == 50
    assert not [r.error for r in results if r.error]
    assert not [r.replaced for r in results if r.replaced]
    assert sorted(d.unit for d in store.documents()) == sorted(UNIT_NAMES)
    assert {d.title for d in store.documents()} == {f"{n}2024年单位预算公开" for n in UNIT_NAMES}


def test_a_new_version_of_a_file_is_reported_as_a_replacement(tmp_path: Path) -> None:
    copy = tmp_path / "copy.txt"
    copy.write_text(SEED.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    store = Store(tmp_path / "data")
    [first] = ingest_paths([SEED], store)
    [second] = ingest_paths([copy], store)
    assert first.replaced == []
    assert second.replaced == [SEED.name]
    assert "和静县社会保险中心" in second.identity and "2024" in second.identity


def _pages(*texts: str) -> list[Page]:
    return [Page(i + 1, t) for i, t in enumerate(texts)]


def test_contents_headings_are_never_part_of_the_name() -> None:
    pages = _pages("目 录\n第一部分 部门概况\n第二部分 江苏省某某研究院 2017 年度部门预算表\n"
                   "第三部分 江苏省某某研究院 2017 年度部门预算情况说明",
                   "公开01表\n收支预算总表\n部门：江苏省某某研究院 单位：万元\n一、财政拨款 1.00")
    ident = identify(pages, "x.pdf")
    assert (ident.unit, ident.year, ident.kind, ident.scope) == ("江苏省某某研究院", 2017, "预算", "部门")


def test_a_name_broken_over_two_cover_lines_is_joined() -> None:
    pages = _pages("中共江苏省委\n办公厅2019年度部门预算公开", "目 录\n第一部分 部门概况",
                   "第一部分 部门概况\n中共江苏省委办公厅是省委的办事机构。")
    assert identify(pages, "swbgt.pdf").unit == "中共江苏省委办公厅"


def test_a_heading_alone_is_not_a_unit_the_issuer_line_is() -> None:
    pages = _pages("2024年度部门决算\n目录", "表1 收入支出决算总表\n编制单位：某某县第七小学 金额单位：万元\n合计 1.00")
    ident = identify(pages, "final.pdf")
    assert (ident.unit, ident.kind) == ("某某县第七小学", "决算")


def test_a_place_alone_on_the_cover_is_not_the_unit() -> None:
    pages = _pages("江苏省2018年度\n省级部门预算公开报表",
                   "公开01表\n收支预算总表\n部门：江苏省某某协会 单位：万元\n合计 1.00")
    assert identify(pages, "x.pdf").unit == "江苏省某某协会"

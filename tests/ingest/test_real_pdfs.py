"""The seven real PDFs: cells read off the printed pages, empty tables, units, split documents, audit.

Every expected value below was read from the PDF itself (pdfplumber's layout text and word
positions), not from the parser.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ingest import Fact, Store, ingest_paths
from tests.conftest import ROOT
from tests.pdfs import draw_table_pdf

REAL = ROOT.parent / "shared" / "corpus" / "real"
JIANCHAYUAN = "js_2018_jianchayuan_budget.pdf"
SWBGT_PROSE = "js_2019_swbgt_budget.pdf"
SWBGT_TABLES = "js_2019_swbgt_budget_tables.pdf"
CAIZHENGJU = "sh_2024_pt_caizhengju_final.pdf"
WANLI = "sh_2024_pt_wanli_budget.pdf"
ZHENGFUBAN = "sh_2025_pt_zhengfubangongshi_unit_budget.pdf"
SIFAJU = "sh_2026_pt_sifaju_budget.pdf"
FILES = [JIANCHAYUAN, SWBGT_PROSE, SWBGT_TABLES, CAIZHENGJU, WANLI, ZHENGFUBAN, SIFAJU]
# added later; their cells are read in tests/ingest/test_new_real_pdfs.py
NEW_FILES = ["js_2017_gaoyuan_budget.pdf", "js_2018_rendabgt_budget.pdf", "js_2018_swbgt_budget.pdf",
             "js_2018_swbgt_budget_tables.pdf", "js_2018_zhengxie_budget.pdf", "js_2018_zhengxie_budget_tables.pdf"]

# (table type, code or row name, column or None where the parser's column name is not canonical,
#  value as printed, unit, page of the file)
Cell = tuple[str, str, str | None, str, str, int]

CELLS: dict[str, list[Cell]] = {
    JIANCHAYUAN: [
        ("收支总表", "一般公共预算", "预算数", "21,940.96", "万元", 13),  # name broken over two lines
        ("收支总表", "公共安全支出", "预算数", "16,458.75", "万元", 13),
        ("收支总表", "基本支出", "预算数", "13,994.31", "万元", 13),
        ("收支总表", "收入合计", "预算数", "21,955.35", "万元", 14),
        ("收入总表", "收入总计", "总计", "21,955.35", "万元", 14),
        ("收入总表", "其他收入", "总计", "14.39", "万元", 14),
        ("支出总表", "单位预留机动经费", None, "2,388.04", "万元", 15),
        ("财政拨款收支总表", "基本支出", None, "13,979.92", "万元", 15),
        ("财政拨款支出表", "2040401", "合计", "10,883.36", "万元", 15),
        ("财政拨款支出表", "2040405", "合计", "1895.00", "万元", 16),  # printed without a comma
        ("财政拨款基本支出表", "30217", "合计", "36.50", "万元", 17),
        ("一般公共预算支出表", "2210202", "合计", "2,586.61", "万元", 18),
        ("一般公共预算基本支出表", "30101", "合计", "2,117.68", "万元", 18),
        ("一般公共预算基本支出表", "30309", "合计", "1.04", "万元", 19),
        ("三公经费表", "因公出国（境）费", None, "100.00", "万元", 19),
        ("三公经费表", "公务接待费", None, "116.50", "万元", 19),
        ("三公经费表", "培训费", None, "700.00", "万元", 19),
        ("机关运行经费表", "合计", "合计", "2,722.57", "万元", 20),
        ("机关运行经费表", "30239", "合计", "468.37", "万元", 20),
        ("政府采购表", "合计", None, "3,096.24", "万元", 20),
        ("政府采购表", "货物A", None, "268.00", "万元", 20),
    ],
    SWBGT_TABLES: [
        ("收支总表", "一般公共服务支出", "预算数", "22,395.50", "万元", 1),
        ("收支总表", "单位预留机动经费", "预算数", "2,938.21", "万元", 1),
        ("收入总表", "收入总计", "总计", "27,664.22", "万元", 2),  # amount on the line below its name
        ("支出总表", "项目支出", None, "13,025.38", "万元", 3),
        ("财政拨款收支总表", "支出合计", None, "27,664.22", "万元", 4),
        ("财政拨款支出表", "2013101", "合计", "9,370.12", "万元", 5),
        ("财政拨款基本支出表", "30107", "合计", "163.26", "万元", 6),
        ("一般公共预算支出表", "2080506", "合计", "314.03", "万元", 7),
        ("一般公共预算基本支出表", "30216", "合计", "25.00", "万元", 8),
        ("三公经费表", "会议费", None, "933.50", "万元", 9),
        ("三公经费表", "公务用车运行维护费", None, "411.20", "万元", 9),
        ("机关运行经费表", "30231", "合计", "411.20", "万元", 11),
        ("政府采购表", "合计", None, "1,422.50", "万元", 12),
        ("政府采购表", "服务C", None, "1,338.50", "万元", 12),
    ],
    CAIZHENGJU: [
        ("收支总表", "一般公共预算财政拨款收入", "决算数", "2,940.05", "万元", 6),
        ("收支总表", "社会保障和就业支出", "决算数", "326.71", "万元", 6),
        ("收支总表", "年末结转和结余", "决算数", "55.34", "万元", 7),
        ("收入总表", "2010601", "本年收入合计", "1,511.90", "万元", 8),
        ("收入总表", "2010601", "其他收入", "0.01", "万元", 8),
        ("收入总表", "2010602", "其他收入", "6.19", "万元", 8),
        ("支出总表", "2010601", "项目支出", "8.37", "万元", 10),
        ("支出总表", "合计", "基本支出", "2,336.91", "万元", 10),
        ("财政拨款收支总表", "一般公共服务支出", "一般公共预算", "2,106.66", "万元", 12),
        ("财政拨款收支总表", "年末财政拨款结转和结余", "合计", "21.63", "万元", 13),
        ("一般公共预算支出表", "2210203", "基本支出", "258.50", "万元", 15),
        ("一般公共预算支出表", "合计", "项目支出", "603.14", "万元", 15),
        ("一般公共预算基本支出表", "30201", "决算数", "21.21", "万元", 16),
        ("一般公共预算基本支出表", "30216", "决算数", "4.05", "万元", 16),  # right half of a two-column layout
        ("一般公共预算基本支出表", "30228", "决算数", "24.42", "万元", 17),
        ("一般公共预算基本支出表", "31002", "决算数", "13.58", "万元", 17),
        ("一般公共预算基本支出表", "人员经费合计", "决算数", "2,152.26", "万元", 17),
        ("三公经费表", "合计", "预算数", "0.95", "万元", 18),
        ("三公经费表", "公务接待费", "预算数", "0.95", "万元", 18),
        ("一般公共预算基本支出表", "30101", "决算数", "262.33", "万元", 16),
        ("一般公共预算基本支出表", "301", "决算数", "2,082.85", "万元", 16),
        ("一般公共预算基本支出表", "302", "决算数", "171.07", "万元", 16),
        ("一般公共预算基本支出表", "30309", "决算数", "0.31", "万元", 17),
        ("一般公共预算基本支出表", "30226", "决算数", "2.01", "万元", 17),
    ],
    WANLI: [
        ("收支总表", "城乡社区支出", "预算数", "119,385,303", "元", 10),
        ("收支总表", "收入总计", "预算数", "156,211,123", "元", 10),
        ("收入总表", "2120104", "财政拨款收入", "6,043,390", "元", 14),
        ("收入总表", "合计", "总计", "156,211,123", "元", 15),  # alone on the next page
        ("支出总表", "2120101", "基本支出", "16,353,248", "元", 19),
        ("支出总表", "合计", "项目支出", "56,505,103", "元", 20),
        ("财政拨款收支总表", "城乡社区支出", "一般公共预算", "119,385,303", "元", 21),
        ("一般公共预算支出表", "2089999", "项目支出", "1,679,200", "元", 24),
        ("一般公共预算支出表", "合计", "基本支出", "99,706,020", "元", 26),
        ("一般公共预算基本支出表", "30102", "人员经费", "16,623,810", "元", 29),  # printed "301 2"
        ("一般公共预算基本支出表", "30209", "公用经费", "1,090,020", "元", 30),
        ("一般公共预算基本支出表", "合计", "人员经费", "88,537,451", "元", 30),
        ("三公经费表", "公务用车购置费", "预算数", "25", "万元", 31),
        ("三公经费表", "公务接待费", "预算数", "1.35", "万元", 31),
    ],
    ZHENGFUBAN: [
        ("收支总表", "一般公共服务支出", "人员经费", "13,819,399.88", "元", 8),
        ("收支总表", "社会保障和就业支出", "公用经费", "265,380.00", "元", 8),
        ("收支总表", "支出总计", "项目支出", "66,410,000.00", "元", 8),
        ("收入总表", "2010350", "总计", "3,807,295.58", "元", 9),
        ("收入总表", "合计", "财政拨款收入", "91,016,775.35", "元", 10),
        ("支出总表", "2010301", "项目支出", "110,000.00", "元", 11),
        ("支出总表", "2010302", "项目支出", "46,140,000.00", "元", 11),  # 基本支出 left blank
        ("财政拨款收支总表", "住房保障支出", "一般公共预算", "3,609,125.22", "元", 13),
        ("一般公共预算支出表", "2101102", "合计", "314,218.15", "元", 15),
        ("一般公共预算基本支出表", "30201", "公用经费", "259,400.00", "元", 18),
        ("一般公共预算基本支出表", "30301", "人员经费", "114,940.00", "元", 19),
        ("一般公共预算基本支出表", "合计", "公用经费", "2,132,777.54", "元", 19),
        ("三公经费表", "因公出国(境)费", "预算数", "839.00", "万元", 20),
        ("三公经费表", "机关运行经费", "预算数", "213.28", "万元", 20),
    ],
    SIFAJU: [
        ("收支总表", "公共安全支出", "预算数", "87,267,272.44", "元", 10),
        ("收支总表", "收入总计", "预算数", "96,282,213.44", "元", 10),
        ("收入总表", "2040699", "总计", "38454900.00", "元", 11),
        ("支出总表", "204", "项目支出", "70540547.00", "元", 12),
        ("支出总表", "合计", "基本支出", "25741666.44", "元", 13),
        ("财政拨款收支总表", "社会保障和就业支出", "一般公共预算", "3,343,704.00", "元", 14),
        ("一般公共预算支出表", "2040613", "项目支出", "2278800.00", "元", 15),
        ("一般公共预算支出表", "2210201", "基本支出", "2087959.00", "元", 16),
        ("一般公共预算基本支出表", "30102", "人员经费", "12971818.00", "元", 19),
        ("一般公共预算基本支出表", "30231", "公用经费", "99750.00", "元", 20),
        ("一般公共预算基本支出表", "合计", "公用经费", "2178324.44", "元", 20),
        ("三公经费表", "合计", "预算数", "10.81", "万元", 21),
        ("三公经费表", "公务用车运行费", "预算数", "9.98", "万元", 21),
        ("三公经费表", "机关运行经费", "预算数", "217.83", "万元", 21),
    ],
}


# (subject, measure, value as printed, unit, page) for figures stated in the prose
ProseCell = tuple[str, str, str, str, int]

PROSE_CELLS: list[ProseCell] = [
    ("一般公共服务", "金额", "22395.50", "万元", 7),
    ("一般公共服务", "比上年增加", "2241.75", "万元", 7),
    ("一般公共服务", "增长率", "11.12", "%", 7),
    ("住房保障", "金额", "3894.09", "万元", 8),
    ("住房保障", "增长率", "30", "%", 8),
    ("基本支出", "占比", "42.30", "%", 8),
    ("项目支出", "占比", "47.08", "%", 8),
    ("行政运行", "金额", "9370.12", "万元", 9),
    ("行政运行", "增长率", "16.07", "%", 9),
    ("提租补贴", "比上年增加", "628.34", "万元", 10),
    ("人员经费", "金额", "9467.72", "万元", 11),
    ("公用经费", "金额", "2232.91", "万元", 11),
    ("因公出国（境）费", "占比", "13.77", "%", 12),  # 「…70万元，占“三公”经费的13.77%」
    ("公务接待费", "占比", "5.31", "%", 12),
    ("会议费", "金额", "933.50", "万元", 12),
    ("政府采购支出预算总额", "金额", "1422.50", "万元", 13),
    ("机关运行经费", "比上年增加", "138.33", "万元", 13),
    ("单位预留机动经费", "金额", "2938.21", "万元", 8),
    ("社会保障和就业", "比上年增加", "85.11", "万元", 7),
    ("社会保障和就业", "增长率", "6.60", "%", 7),
]


# (table type, page) of every table printed empty ("此表为空", "本表无数据", "无", a header and no rows)
EMPTY_TABLES: dict[str, set[tuple[str, int]]] = {
    JIANCHAYUAN: {("政府性基金预算支出表", 19)},
    SWBGT_TABLES: {("政府性基金预算支出表", 10)},
    CAIZHENGJU: {("政府性基金预算支出表", 19), ("国有资本经营预算支出表", 20)},
    WANLI: {("政府性基金预算支出表", 27), ("国有资本经营预算支出表", 28)},
    ZHENGFUBAN: {("政府性基金预算支出表", 16), ("国有资本经营预算支出表", 17)},
    SIFAJU: {("政府性基金预算支出表", 17), ("国有资本经营预算支出表", 18)},
}


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("real-data"))
    results = ingest_paths([REAL / name for name in FILES + NEW_FILES], store)
    assert sorted(Path(r.path).name for r in results) == sorted(FILES + NEW_FILES)
    assert not [r.error for r in results if r.error]
    return store


@pytest.fixture(scope="module")
def real_facts(real_store: Store) -> dict[str, list[Fact]]:
    """Each file name → the facts of its document (both halves of a split document share them)."""
    return {name: real_store.facts(doc.doc_id)
            for doc in real_store.documents() for name in real_store.files(doc.doc_id)}


def _doc_id(store: Store, name: str) -> str:
    [doc_id] = [d.doc_id for d in store.documents() if name in store.files(d.doc_id)]
    return doc_id


def _check_cell(facts: list[Fact], name: str, cell: Cell) -> None:
    table_type, key, column, value, unit, page = cell
    near = [f for f in facts if f.source == name and f.table_type == table_type and key in (f.code, f.row)]
    found = [f for f in near if (column is None or f.column == column) and f.value == Decimal(value.replace(",", ""))
             and f.unit == unit and f.page == page]
    assert found, f"{name} p{page} {table_type} {key} {column} = {value} {unit}; stored: " + "; ".join(
        f"p{f.page} {f.code} {f.row} {f.column}={f.value}{f.unit}" for f in near[:8])


def _check_prose(facts: list[Fact], cell: ProseCell) -> None:
    subject, measure, value, unit, page = cell
    found = [f for f in facts if f.source == SWBGT_PROSE and f.table == "正文" and subject in f.row
             and f.column == measure and f.value == Decimal(value) and f.unit == unit and f.page == page]
    assert found, f"p{page} 正文 {subject} {measure} = {value}{unit}; stored on the page: " + "; ".join(
        f"{f.row} {f.column}={f.value}{f.unit}" for f in facts if f.source == SWBGT_PROSE and f.page == page)


@pytest.mark.parametrize(("name", "cell"), [(name, cell) for name, cells in CELLS.items() for cell in cells])
def test_cell_matches_document(real_facts: dict[str, list[Fact]], name: str, cell: Cell) -> None:
    _check_cell(real_facts[name], name, cell)


@pytest.mark.parametrize("cell", PROSE_CELLS)
def test_prose_figure_matches_document(real_facts: dict[str, list[Fact]], cell: ProseCell) -> None:
    _check_prose(real_facts[SWBGT_PROSE], cell)


def test_cells_cover_every_pdf() -> None:
    assert set(CELLS) == set(FILES) - {SWBGT_PROSE}
    for cells in CELLS.values():
        assert len(cells) >= 10
        assert len({c[0] for c in cells}) >= 4
    assert len(PROSE_CELLS) >= 10


def test_prose_only_file_has_no_tables(real_facts: dict[str, list[Fact]]) -> None:
    own = [f for f in real_facts[SWBGT_PROSE] if f.source == SWBGT_PROSE]
    assert own and all(f.table == "正文" for f in own)


@pytest.mark.parametrize("name", sorted(EMPTY_TABLES))
def test_empty_tables_are_recorded_empty(real_store: Store, name: str) -> None:
    doc_id = _doc_id(real_store, name)
    tables = real_store.tables(doc_id)
    assert {(t.table_type, t.page) for t in tables if t.empty} == EMPTY_TABLES[name]
    empty_types = {t.table_type for t in tables if t.empty}
    assert not [f for f in real_store.facts(doc_id) if f.table_type in empty_types]


def test_table_with_figures_is_not_empty_despite_its_note(real_store: Store) -> None:
    # 万里街道 p31 prints the 三公 figures and, under them, "故本表为空表"
    [sangong] = [t for t in real_store.tables(_doc_id(real_store, WANLI)) if t.table_type == "三公经费表"]
    assert not sangong.empty


def test_units_differ_between_tables(real_facts: dict[str, list[Fact]]) -> None:
    table_facts = [f for f in real_facts[SIFAJU] if f.table != "正文"]
    sangong = [f for f in table_facts if f.table_type == "三公经费表"]
    others = [f for f in table_facts if f.table_type != "三公经费表"]
    assert sangong and {f.unit for f in sangong} == {"万元"}
    assert len(others) > 100 and {f.unit for f in others} == {"元"}


@pytest.mark.parametrize("name", FILES)
def test_no_printed_code_is_stored_as_an_amount(real_facts: dict[str, list[Fact]], name: str) -> None:
    assert not [f for f in real_facts[name] if f.column.isdigit()]


def test_a_three_public_item_above_its_basic_row_is_a_scope_note(real_store: Store) -> None:
    # 表09 公务接待费 116.50 covers all 一般公共预算 funds; 表08 30217 36.50 is basic expenditure
    # only (the cell set's own note on c0026): a difference of scope, not a contradiction
    findings = [f for f in real_store.findings(_doc_id(real_store, JIANCHAYUAN)) if f.check == "cross_table"]
    [note] = [f for f in findings if "公务接待费" in f.message and "116.50" in f.message and "36.50" in f.message]
    assert note.ok and "口径不同" in note.message


@pytest.mark.parametrize("name", sorted(set(FILES) - {SWBGT_PROSE}))
def test_real_totals_are_consistent(real_store: Store, name: str) -> None:
    totals = [f for f in real_store.findings(_doc_id(real_store, name)) if f.check == "totals"]
    assert totals
    assert not [f.message for f in totals if not f.ok]


@pytest.mark.parametrize("order", [[SWBGT_PROSE, SWBGT_TABLES], [SWBGT_TABLES, SWBGT_PROSE]],
                         ids=["prose-first", "tables-first"])
def test_split_document_is_one_document(tmp_path: Path, real_store: Store, order: list[str]) -> None:
    store = Store(tmp_path)
    results = ingest_paths([REAL / n for n in order], store)
    assert not [r.error for r in results if r.error]
    [doc] = store.documents()
    # the tables-only half states no scope: ingested first it waits under a provisional id
    assert results[-1].doc_id == doc.doc_id == _doc_id(real_store, SWBGT_TABLES)
    assert sorted(store.files(doc.doc_id)) == [SWBGT_PROSE, SWBGT_TABLES]
    assert doc.unit == "中共江苏省委办公厅"
    facts = store.facts(doc.doc_id)
    assert len(facts) == len(real_store.facts(doc.doc_id))
    assert {f.source for f in facts} == {SWBGT_PROSE, SWBGT_TABLES}

    before = (len(facts), len(store.tables()), len(store.findings()), len(store.chunks()), store.document(doc.doc_id))
    [again] = ingest_paths([REAL / order[0]], store)
    assert again.unchanged and again.doc_id == doc.doc_id
    after = (len(store.facts()), len(store.tables()), len(store.findings()), len(store.chunks()),
             store.document(doc.doc_id))
    assert after == before


def test_region_of_a_party_office_is_the_province(tmp_path: Path) -> None:
    store = Store(tmp_path)
    ingest_paths([REAL / SWBGT_TABLES], store)
    assert store.documents()[0].region == "江苏省"


def _ingest_table(tmp_path: Path, child: tuple[str, str, str, str]) -> Store:
    path = tmp_path / "planted.pdf"
    draw_table_pdf(path, [("210 卫生健康支出", "120.50", "100.00", "20.50"),
                       ("21001 卫生健康管理事务", "80.00", "70.00", "10.00"),
                       child,
                       ("合计", "120.50", "100.00", "20.50")])
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error, result.error
    return store


def test_consistent_pdf_table_passes_the_totals_check(tmp_path: Path) -> None:
    store = _ingest_table(tmp_path, ("21002 公立医院", "40.50", "30.00", "10.50"))
    totals = [f for f in store.findings() if f.check == "totals"]
    assert [f.ok for f in totals] == [True]


def test_planted_pdf_inconsistency_is_reported(tmp_path: Path) -> None:
    # 21002's 项目支出 (and its 合计, so the row still adds up) raised by 5: 210 ≠ 21001 + 21002
    store = _ingest_table(tmp_path, ("21002 公立医院", "45.50", "30.00", "15.50"))
    failed = [f.message for f in store.findings() if f.check == "totals" and not f.ok]
    assert any("卫生健康支出" in m and "项目支出" in m and "20.50" in m and "25.50" in m for m in failed), failed
    assert any("卫生健康支出" in m and "合计" in m and "120.50" in m and "125.50" in m for m in failed), failed


def _problems(store: Store, name: str, check: str) -> list[str]:
    return [f.message for f in store.findings(_doc_id(store, name)) if f.check == check and not f.ok]


def test_examiner_finds_the_slips_of_the_final_account(real_store: Store) -> None:
    prose = _problems(real_store, CAIZHENGJU, "prose")
    # p21: 财政拨款收入支出总计 printed as 0.3万元; the 财政拨款收支总表 says 2961.68
    assert any("0.3万元" in m and "2961.68" in m for m in prose), prose
    # p21: 2106.66 / 2940.05 is 71.65 %, printed 71.73 % (the four shares add to 100.07 %)
    assert any("71.73%" in m and "71.65%" in m for m in prose), prose
    # p23: "完成预算的0%" for items with nothing budgeted (三公 table, p18) and nothing spent:
    # the template's wording, a note and not a slip
    notes = [f.message for f in real_store.findings(_doc_id(real_store, CAIZHENGJU)) if f.ok]
    assert sum("对零预算无完成率" in m for m in notes) == 2 and not any("对零预算" in m for m in prose), prose


def test_examiner_recomputes_a_stated_growth_rate(real_store: Store) -> None:
    # p26: 一般行政管理事务 3,666 万元, up 21.8 万元: 0.60 %, printed 0.06 %
    prose = _problems(real_store, JIANCHAYUAN, "prose")
    assert any("0.06%" in m and "0.60%" in m and "3644.2" in m for m in prose), prose
    # p26 and p24: a fall said as 降幅: 134 of 2,029 is 6.60 %, printed 0.66 %; 184.96 of 2,021.18 is 9.15 %
    assert any("0.66%" in m and "6.60%" in m for m in prose), prose
    assert any("9.1%" in m and "9.15%" in m for m in prose), prose


@pytest.mark.parametrize("name", [WANLI, ZHENGFUBAN])
def test_no_false_alarm_on_documents_without_known_slips(real_store: Store, name: str) -> None:
    assert not [f.message for f in real_store.findings(_doc_id(real_store, name)) if not f.ok]


def test_a_change_against_the_documents_own_year_is_its_only_slip(real_store: Store) -> None:
    # p8 of the 2026 budget: "比2026年预算增加793.14万元", three times; the year before is 2025
    problems = [f.message for f in real_store.findings(_doc_id(real_store, SIFAJU)) if not f.ok]
    assert len(problems) == 3 and all("以 2026 年为基数" in m and "793.14" in m for m in problems), problems

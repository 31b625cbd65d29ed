"""The six files added later (four documents): every cell checked here is read off the page
with pdfplumber at test time, independently of the parser, and must be stored from a table
of the stated type on that page. The two prose-only halves print no table: their amounts
must be stored as prose figures of that page."""

from __future__ import annotations

import re
from decimal import Decimal

import pdfplumber
import pytest

from ingest import Fact, Store, ingest_paths
from tests.conftest import ROOT

REAL = ROOT.parent / "shared" / "corpus" / "real"
GAOYUAN = "js_2017_gaoyuan_budget.pdf"
RENDA = "js_2018_rendabgt_budget.pdf"
SWBGT_PROSE = "js_2018_swbgt_budget.pdf"
SWBGT_TABLES = "js_2018_swbgt_budget_tables.pdf"
ZHENGXIE_PROSE = "js_2018_zhengxie_budget.pdf"
ZHENGXIE_TABLES = "js_2018_zhengxie_budget_tables.pdf"
NEW = [GAOYUAN, RENDA, SWBGT_PROSE, SWBGT_TABLES, ZHENGXIE_PROSE, ZHENGXIE_TABLES]

# file → (table type, page, the row's code or name as printed at the start of its line)
CELLS: dict[str, list[tuple[str, int, str]]] = {
    RENDA: [("收入总表", 9, "收入总计"),
            ("财政拨款支出表", 11, "2010101"), ("财政拨款支出表", 11, "2010104"), ("财政拨款支出表", 11, "2210202"),
            ("财政拨款基本支出表", 12, "30101"), ("财政拨款基本支出表", 12, "30239"),
            ("财政拨款基本支出表", 12, "30309"),
            ("一般公共预算支出表", 13, "2010105"), ("一般公共预算支出表", 13, "2080506"),
            ("一般公共预算基本支出表", 14, "30102"), ("一般公共预算基本支出表", 14, "30228"),
            ("机关运行经费表", 16, "30201"), ("机关运行经费表", 16, "30231")],
    SWBGT_TABLES: [("收入总表", 4, "收入总计"),
                   ("财政拨款支出表", 7, "2013101"), ("财政拨款支出表", 7, "2013102"),
                   ("财政拨款支出表", 7, "2080505"),
                   ("财政拨款基本支出表", 8, "30101"), ("财政拨款基本支出表", 8, "30217"),
                   ("财政拨款基本支出表", 8, "30309"),
                   ("一般公共预算支出表", 9, "2013101"), ("一般公共预算支出表", 9, "2080506"),
                   ("一般公共预算基本支出表", 10, "30102"), ("一般公共预算基本支出表", 10, "30231"),
                   ("机关运行经费表", 13, "30201"), ("机关运行经费表", 13, "30239")],
    ZHENGXIE_TABLES: [("财政拨款支出表", 5, "2010201"), ("财政拨款支出表", 5, "2010204"),
                      ("财政拨款支出表", 5, "2080505"),
                      ("财政拨款基本支出表", 6, "30101"), ("财政拨款基本支出表", 6, "30217"),
                      ("财政拨款基本支出表", 6, "30309"),
                      ("一般公共预算支出表", 7, "2010205"), ("一般公共预算支出表", 7, "2080506"),
                      ("一般公共预算基本支出表", 8, "30102"), ("一般公共预算基本支出表", 8, "30228"),
                      ("机关运行经费表", 11, "30201"), ("机关运行经费表", 11, "30207")],
    GAOYUAN: [("财政拨款支出表", 13, "2040501"), ("财政拨款支出表", 13, "2040504"),
              ("财政拨款基本支出表", 14, "30101"), ("财政拨款基本支出表", 14, "30217"),
              ("财政拨款基本支出表", 14, "30312"),
              ("一般公共预算支出表", 15, "2040502"), ("一般公共预算支出表", 15, "2080504"),
              ("一般公共预算基本支出表", 16, "30239"), ("一般公共预算基本支出表", 16, "30309"),
              ("机关运行经费表", 16, "30208"), ("机关运行经费表", 16, "30209"),
              ("机关运行经费表", 17, "30299"), ("机关运行经费表", 17, "31002")],
}
AMOUNT = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})*\.\d{2}(?![\d%])|(?<![\d.,])\d+\.\d{2}(?![\d%])")


def _printed(name: str, page: int, key: str) -> Decimal:
    """The one amount printed on the line that starts with `key`, read by pdfplumber."""
    with pdfplumber.open(REAL / name) as pdf:
        lines = (pdf.pages[page - 1].extract_text() or "").split("\n")
    hits = [ln for ln in lines if ln.replace(" ", "").startswith(key)]
    assert len(hits) == 1, f"{name} p{page}: {len(hits)} lines start with {key}"
    amounts = AMOUNT.findall(hits[0])
    assert len(amounts) == 1, f"{name} p{page}: {hits[0]!r}"
    return Decimal(amounts[0].replace(",", ""))


@pytest.fixture(scope="module")
def new_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("new-real"))
    results = ingest_paths([REAL / n for n in NEW], store)
    assert not [r.error for r in results if r.error]
    return store


def _facts(store: Store, name: str) -> list[Fact]:
    [doc] = [d for d in store.documents() if name in store.files(d.doc_id)]
    return [f for f in store.facts(doc.doc_id) if f.source == name]


def test_cells_cover_every_table_file() -> None:
    for cells in CELLS.values():
        assert len(cells) >= 10
        assert len({t for t, _, _ in cells}) >= 4


@pytest.mark.parametrize(("name", "cell"), [(n, c) for n, cells in CELLS.items() for c in cells])
def test_cell_is_stored_from_a_table_of_its_type(new_store: Store, name: str, cell: tuple[str, int, str]) -> None:
    table_type, page, key = cell
    value = _printed(name, page, key)
    near = [f for f in _facts(new_store, name) if f.page == page and key in (f.code, f.row)]
    assert [f for f in near if f.value == value and f.unit == "万元"], f"{name} p{page} {key}={value}: {near}"
    assert {f.table_type for f in near if f.value == value} == {table_type}


@pytest.mark.parametrize("name", [SWBGT_PROSE, ZHENGXIE_PROSE])
def test_prose_half_amounts_are_prose_figures_of_their_page(new_store: Store, name: str) -> None:
    printed: set[tuple[int, Decimal]] = set()
    with pdfplumber.open(REAL / name) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            text = re.sub(r"\s+", "", page.extract_text() or "")
            printed |= {(number, Decimal(v.replace(",", ""))) for v in re.findall(r"([\d,]+\.\d{2})万元", text)}
    stored = {(f.page, f.value) for f in _facts(new_store, name) if f.table == "正文" and f.unit == "万元"}
    assert not [f for f in _facts(new_store, name) if f.table != "正文"]
    assert len(printed & stored) >= 10
    assert len(printed & stored) >= 0.8 * len(printed)


@pytest.mark.parametrize(("prose", "tables"), [(SWBGT_PROSE, SWBGT_TABLES), (ZHENGXIE_PROSE, ZHENGXIE_TABLES)])
def test_split_halves_are_one_document_with_every_listed_table(new_store: Store, prose: str, tables: str) -> None:
    [doc] = [d for d in new_store.documents() if prose in new_store.files(d.doc_id)]
    assert sorted(new_store.files(doc.doc_id)) == [prose, tables]
    missing = [f for f in new_store.findings(doc.doc_id) if f.check == "catalogue" and not f.ok]
    assert not missing


def test_every_table_of_the_contents_is_found(new_store: Store) -> None:
    for doc in new_store.documents():
        assert len(new_store.tables(doc.doc_id)) == 12, doc.title
        assert not [f.message for f in new_store.findings(doc.doc_id) if f.check == "catalogue" and not f.ok]


def test_identity_of_each_new_document(new_store: Store) -> None:
    got = sorted((d.unit.removeprefix("中共"), d.year, d.kind) for d in new_store.documents())
    assert got == [("江苏省人大常委会办公厅", 2018, "预算"), ("江苏省委办公厅", 2018, "预算"),
                   ("江苏省政协办公厅", 2018, "预算"), ("江苏省高级人民法院", 2017, "预算")]


def test_examiner_recomputes_stated_growth_rates(new_store: Store) -> None:
    problems = [f.message for f in new_store.findings() if f.check == "prose" and not f.ok]
    # 人大办公厅 p21: 单位预留机动经费 1685.72 万元, up 1557.29: 1212.56 %, printed 1312.56 %
    assert any("1312.56%" in m and "1212.56%" in m for m in problems), problems
    # 高院 p22: 提租补贴 1959.99 万元, up 865.57: 79.09 %, printed 79.05 %
    assert any("79.05%" in m and "79.09%" in m for m in problems), problems

"""Scanned disclosures: pages with no text layer read by OCR into the same tables and facts.

The scans are made as issue 17 says, by ../shared/tools/rasterize.py: every page rendered
to a greyscale image and written back as an image-only PDF. The expected figures are the
ones the text layer of the same pages gives.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from ingest import Store, ingest_paths
from ingest.digits import check_digits, confirm_agreeing, identities
from ingest.limits import Limits
from ingest.model import OCR_CONFIRMED, OCR_UNCONFIRMED, Document, Fact, Page
from ingest.read import read_pages
from ingest.scan import numeral
from ingest.worker import isolated
from tests.conftest import ROOT

REAL = ROOT.parent / "shared" / "corpus" / "real"
RASTERIZE = ROOT.parent / "shared" / "tools" / "rasterize.py"
JIANCHAYUAN = "js_2018_jianchayuan_budget.pdf"
TABLE_PAGES = [13, 14, 15]  # 收支总表, 收入总表, 支出总表 and 财政拨款收支总表


@pytest.mark.parametrize(("read", "printed"), [
    ("21,940.96", "21,940.96"), ("1.836.22", "1,836.22"), ("1,836,22", "1,836.22"), ("l,2O0.00", "1,200.00"),
    ("1895.00", "1895.00"), ("2040401", "2040401"), ("一般公共预算", "一般公共预算"), ("12.5%", "12.5%"),
    ("2024.01.05", "2024.01.05"), ("-3.20", "-3.20")])
def test_a_figure_ocr_bent_is_straightened(read: str, printed: str) -> None:
    assert numeral(read) == printed


def _table(rows: list[dict[str, str]]) -> list[dict[str, Decimal]]:
    return [{k: Decimal(v) for k, v in r.items()} for r in rows]


# 合计 row over two coded rows; 合计 = 基本支出 + 项目支出 in every row
PARTS = {"合计": ("基本支出", "项目支出")}
GROUPS = [(0, [1, 2])]


def test_a_digit_misread_where_a_failing_row_meets_a_failing_column_is_repaired() -> None:
    values = _table([{"合计": "300.00", "基本支出": "200.00", "项目支出": "100.00"},
                     {"合计": "120.00", "基本支出": "80.00", "项目支出": "40.00"},
                     {"合计": "180.00", "基本支出": "170.00", "项目支出": "60.00"}])  # 120.00 read 170.00
    checked = check_digits(values, identities(values, GROUPS, PARTS), Decimal("0.005"))
    assert checked.repairs == [((2, "基本支出"), Decimal("170.00"), Decimal("120.00"))]
    assert checked.values[2]["基本支出"] == Decimal("120.00")
    assert len(checked.confirmed) == 9  # every cell now sits in an identity that holds


def test_a_slip_two_cells_could_explain_stays_unconfirmed() -> None:
    values = _table([{"合计": "300.00", "基本支出": "200.00", "项目支出": "100.00"},
                     {"合计": "120.00", "基本支出": "80.00", "项目支出": "40.00"},
                     {"合计": "190.00"}])  # 180.00 read 190.00: nothing else to tell which is wrong
    checked = check_digits(values, identities(values, GROUPS, PARTS), Decimal("0.005"))
    assert checked.repairs == [] and checked.values == values
    assert (2, "合计") not in checked.confirmed  # the column 合计 fails: 300.00 against 120.00 + 190.00
    assert {(1, "合计"), (1, "基本支出"), (1, "项目支出")} <= checked.confirmed  # its row adds up


def test_a_lost_decimal_point_is_restored() -> None:
    values = _table([{"合计": "300.00", "基本支出": "200.00", "项目支出": "100.00"},
                     {"合计": "120.00", "基本支出": "80.00", "项目支出": "40.00"},
                     {"合计": "18000", "基本支出": "120.00", "项目支出": "60.00"}])
    checked = check_digits(values, identities(values, GROUPS, PARTS), Decimal("0.005"))
    assert checked.values[2]["合计"] == Decimal("180.00") and (2, "合计") in checked.confirmed


def _fact(value: str, table: str, page: int, confidence: str, row: str = "合计") -> Fact:
    return Fact("d", table, None, row, "合计", Decimal(value), "万元", page, f"{row} {value}", "支出总表",
                confidence=confidence)


def test_two_readings_of_one_figure_confirm_each_other() -> None:
    facts = [_fact("1234.56", "表3", 5, OCR_UNCONFIRMED), _fact("1234.56", "正文", 2, ""),
             _fact("8.70", "表4", 6, OCR_UNCONFIRMED), _fact("8.70", "正文", 2, "", "三公"),
             _fact("5555.55", "表4", 6, OCR_UNCONFIRMED)]
    out = confirm_agreeing(facts, scanned_pages={2, 5, 6})
    assert [f.confidence for f in out] == [OCR_CONFIRMED, OCR_CONFIRMED,  # a table and the prose agree
                                           OCR_UNCONFIRMED, OCR_UNCONFIRMED,  # too few digits to count
                                           OCR_UNCONFIRMED]


def test_confidence_is_stored_and_read_back(tmp_path: Path) -> None:
    store = Store(tmp_path)
    facts = [_fact(v, "表3", 1, c) for v, c in (("1.00", OCR_UNCONFIRMED), ("2.00", OCR_CONFIRMED), ("3.00", ""))]
    store.save(Document("d", "t", "u", 2024, "预算", "x.pdf", "0" * 64, 1), [("0" * 64, "x.pdf")], [], facts, [], [])
    assert [f.confidence for f in Store(tmp_path).facts("d")] == [OCR_UNCONFIRMED, OCR_CONFIRMED, ""]


def _subset(src: Path, pages: list[int], out: Path) -> Path:
    import pypdfium2 as pdfium

    doc, new = pdfium.PdfDocument(str(src)), pdfium.PdfDocument.new()
    new.import_pages(doc, [p - 1 for p in pages])
    new.save(str(out))
    return out


def rasterize(pdf: Path, folder: Path, dpi: int = 150) -> Path:
    subprocess.run([sys.executable, str(RASTERIZE), str(folder), str(pdf), "--dpi", str(dpi)], check=True,
                   capture_output=True)
    return folder / pdf.name


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Three table pages of a real PDF, and their scan at 150 dpi."""
    folder = tmp_path_factory.mktemp("scan")
    text = _subset(REAL / JIANCHAYUAN, TABLE_PAGES, folder / "jianchayuan_tables.pdf")
    return text, rasterize(text, folder / "scanned")


def _cells(store: Store) -> set[tuple[str, str | None, str, str, Decimal, str]]:
    return {(f.table_type, f.code, f.row, f.column, f.value, f.unit) for f in store.facts() if f.table != "正文"}


@pytest.mark.slow
def test_a_scan_gives_the_facts_of_its_text_layer(pages: tuple[Path, Path], tmp_path: Path) -> None:
    text, scan = pages
    typed, ocr = Store(tmp_path / "text"), Store(tmp_path / "scan")
    assert not ingest_paths([text], typed)[0].error
    seen: list[tuple[int, int]] = []
    [result] = ingest_paths([scan], ocr, on_page=lambda path, done, total: seen.append((done, total)),
                            parse=isolated(Limits()))  # in the limited worker, as the CLI and the server
    assert not result.error and seen == [(1, 3), (2, 3), (3, 3)]
    [doc] = ocr.documents()
    assert (doc.unit, doc.year, doc.kind) == ("江苏省人民检察院", 2018, "预算")
    want, got = _cells(typed), _cells(ocr)
    assert len(want & got) >= 0.95 * len(want), sorted(want - got)[:10]
    facts = [f for f in ocr.facts() if f.table != "正文"]
    assert {f.confidence for f in facts} == {OCR_CONFIRMED, OCR_UNCONFIRMED}
    assert all(f.confidence == "" for f in typed.facts())
    confirmed = {(f.row, f.column, f.value) for f in facts if f.confidence == OCR_CONFIRMED}
    assert ("收入总计", "总计", Decimal("21955.35")) in confirmed  # 收入总表: the total over its rows


@pytest.mark.slow
def test_a_page_scanned_on_its_side_is_read_upright(pages: tuple[Path, Path], tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    text, scan = pages
    image = pdfium.PdfDocument(str(scan))[2].render(scale=150 / 72, grayscale=True).to_pil()
    turned = tmp_path / "turned.pdf"
    image.rotate(90, expand=True).save(turned, "PDF", resolution=150)  # a quarter turn, counter-clockwise
    [page] = read_pages(turned)
    printed = _figures(read_pages(text)[2])
    assert page.geometry is not None and page.geometry.width < 600  # portrait again: A4 is 595 pt wide
    assert len(printed) >= 8 and len(_figures(page) & printed) >= 0.95 * len(printed)


def _figures(page: Page) -> set[str]:
    assert page.geometry is not None
    return {c.text for line in page.geometry.lines for c in line.cells if c.is_number and "." in c.text}

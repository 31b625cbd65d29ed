"""Printed column headers of 预算/决算 tables → the measures the engine understands."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ingest import Store, ingest_paths
from ingest.facts import column_name, transposed_item
from ingest.schemas import MEASURES, measure
from tests.pdfs import _canvas


@pytest.mark.parametrize(("printed", "wanted"), [
    ("年初预算数", "年初预算数"), ("年初预算", "年初预算数"), ("2024年年初预算数", "年初预算数"),
    ("调整预算数", "调整预算数"), ("预算调整数", "调整预算数"),
    ("全年预算数", "全年预算数"), ("调整后预算数", "全年预算数"),
    ("决算数", "决算数"), ("2024年决算数", "决算数"), ("决 算 数", "决算数"),
    ("实际支出", "决算数"), ("预算数", "预算数"), ("2025年预算数（万元）", "预算数"),
])
def test_a_printed_measure_is_normalised(printed: str, wanted: str) -> None:
    assert measure(printed) == wanted
    assert wanted in MEASURES


@pytest.mark.parametrize("printed", ["上年决算数", "比上年增减", "决算数为年初预算数的%", "完成率", "基本支出",
                                     "项目名称"])
def test_other_headers_are_not_a_measure(printed: str) -> None:
    assert measure(printed) is None


def test_a_final_account_column_carries_its_printed_measure() -> None:
    assert column_name((), ("支出", "年初预算")) == "年初预算数"
    assert column_name((), ("全年预算数",)) == "全年预算数"
    assert column_name((), ("2024年决算数",)) == "决算数"
    assert column_name((), ("上年决算数",)) == "上年决算数"


def test_a_one_row_table_names_item_and_measure() -> None:
    assert transposed_item(("公务接待费", "年初预算")) == ("公务接待费", "年初预算数")
    assert transposed_item(("公务接待费", "决算数")) == ("公务接待费", "决算数")


def _draw_two_measures(path: Path) -> None:
    c = _canvas(path)
    c.setFont("STSong-Light", 10)
    c.drawString(150, 800, "某某区体育局2025年部门决算")
    c.drawString(150, 780, "一般公共预算财政拨款支出决算表")
    c.drawRightString(560, 762, "单位：万元")
    for x in (40, 200, 380, 560):
        c.line(x, 757, x, 650)
    for x in (260, 320, 440, 500):
        c.line(x, 739, x, 650)
    for y in (757, 739, 721, 703, 685, 667, 650):
        c.line(40, y, 560, y)
    c.drawString(50, 743, "项目")
    c.drawCentredString(290, 743, "年初预算数")
    c.drawCentredString(470, 743, "决算数")
    for x, text in ((255, "小计"), (315, "基本支出"), (375, "项目支出"), (435, "小计"), (495, "基本支出"),
                    (555, "项目支出")):
        c.drawRightString(x, 725, text)
    rows = [("201 一般公共服务支出", "100.00", "80.00", "20.00", "90.00", "78.00", "12.00"),
            ("20101 人大事务", "100.00", "80.00", "20.00", "90.00", "78.00", "12.00"),
            ("合计", "100.00", "80.00", "20.00", "90.00", "78.00", "12.00")]
    for i, (label, *cells) in enumerate(rows):
        y = 707 - 18 * i
        c.drawString(45, y, label)
        for x, cell in zip((255, 315, 375, 435, 495, 555), cells, strict=True):
            c.drawRightString(x, y, cell)
    c.showPage()
    c.save()


def test_a_part_printed_under_two_measures_keeps_each_measure(tmp_path: Path) -> None:
    path = tmp_path / "final.pdf"
    _draw_two_measures(path)
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error, result.error
    facts = {(f.code, f.column): f.value for f in store.facts() if f.code == "20101"}
    assert facts[("20101", "基本支出（年初预算数）")] == Decimal("80.00")
    assert facts[("20101", "基本支出（决算数）")] == Decimal("78.00")
    assert facts[("20101", "项目支出（决算数）")] == Decimal("12.00")

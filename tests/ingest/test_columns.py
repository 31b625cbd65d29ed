"""Printed column headers of 预算/决算 tables → the measures the engine understands."""

from __future__ import annotations

import pytest

from ingest.facts import column_name, transposed_item
from ingest.schemas import MEASURES, measure


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

import json
from decimal import Decimal
from pathlib import Path

import pytest

from qa import calc
from qa.calc import (
    CalculationError,
    Operand,
    change,
    convert,
    difference,
    format_amount,
    in_unit,
    per_unit,
    previous_from_change,
    scale,
    share,
    total,
)


def op(value: str, unit: str = "万元", label: str = "x") -> Operand:
    return Operand(label, Decimal(value), unit)


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        ("297.64", "308.44", "96.50"),
        ("2.14", "2.28", "93.86"),
        ("6.84", "10.80", "63.33"),
        ("81.89", "390.33", "20.98"),
        ("1", "8", "12.50"),  # exact .5 boundary rounds up
    ],
)
def test_share(part: str, whole: str, expected: str) -> None:
    c = share(op(part), op(whole))
    assert c.result == Decimal(expected)
    assert str(c.result) == expected
    assert c.unit == "%"
    assert c.expression == f"{part} / {whole} * 100"


def test_share_converts_money_units() -> None:
    c = share(op("5000", "元"), op("1", "万元"))
    assert c.result == Decimal("50.00")
    assert c.expression == "5000 / 10000 * 100"


@pytest.mark.parametrize(
    ("values", "unit", "expected", "expected_unit", "expression"),
    [
        (["63.71", "72.89"], None, "136.60", "万元", "63.71 + 72.89"),
        (["0.125"], None, "0.13", "万元", "0.125"),  # banker's rounding would give 0.12
        (["0.135", "0.01"], None, "0.15", "万元", "0.135 + 0.01"),
    ],
)
def test_total(
    values: list[str], unit: str | None, expected: str, expected_unit: str, expression: str
) -> None:
    c = total([op(v) for v in values], unit)
    assert c.result == Decimal(expected)
    assert str(c.result) == expected
    assert c.unit == expected_unit
    assert c.expression == expression


@pytest.mark.parametrize(
    ("operands", "unit", "expected", "expected_unit"),
    [
        ([("1", "万元"), ("5000", "元")], None, "1.50", "万元"),
        ([("1", "万元"), ("5000", "元")], "元", "15000", "元"),
        ([("1", "亿元"), ("1", "万元")], "万元", "10001.00", "万元"),
        ([("3", "人"), ("4", "人")], None, "7", "人"),
    ],
)
def test_total_mixed_units(
    operands: list[tuple[str, str]], unit: str | None, expected: str, expected_unit: str
) -> None:
    c = total([op(v, u) for v, u in operands], unit)
    assert str(c.result) == expected
    assert c.unit == expected_unit


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("308.44", "87.40", "221.04"), ("87.40", "308.44", "-221.04"), ("1.004", "1", "0.00")],
)
def test_difference(a: str, b: str, expected: str) -> None:
    c = difference(op(a), op(b))
    assert str(c.result) == expected
    assert c.expression == f"{a} - {b}"


@pytest.mark.parametrize(
    ("current", "previous", "expected", "expression"),
    [
        ("202.32", "170.72", "18.51", "(202.32 - 170.72) / 170.72 * 100"),
        ("90", "100", "-10.00", "(90 - 100) / 100 * 100"),
    ],
)
def test_change(current: str, previous: str, expected: str, expression: str) -> None:
    c = change(op(current), op(previous))
    assert str(c.result) == expected
    assert c.unit == "%"
    assert c.expression == expression


@pytest.mark.parametrize(
    ("current", "delta", "expected", "expression"),
    [
        (("202.32", "万元"), ("31.60", "万元"), "170.72", "202.32 - 31.60"),
        (("202.32", "万元"), ("-31.60", "万元"), "233.92", "202.32 - (-31.60)"),
        (("110", "万元"), ("10", "%"), "100.00", "110 / (1 + 10 / 100)"),
    ],
)
def test_previous_from_change(
    current: tuple[str, str], delta: tuple[str, str], expected: str, expression: str
) -> None:
    c = previous_from_change(op(*current), op(*delta))
    assert str(c.result) == expected
    assert c.unit == "万元"
    assert c.expression == expression


def test_per_unit() -> None:
    c = per_unit(op("297.64", "万元"), op("16", "人"))
    assert str(c.result) == "18.60"
    assert c.unit == "万元"
    assert c.expression == "297.64 / 16"


@pytest.mark.parametrize(
    ("value", "percent", "expected", "expression"),
    [
        ("100", "5", "105.00", "100 * (1 + 5 / 100)"),
        ("100", "-5", "95.00", "100 * (1 - 5 / 100)"),
    ],
)
def test_scale(value: str, percent: str, expected: str, expression: str) -> None:
    c = scale(op(value), Decimal(percent))
    assert str(c.result) == expected
    assert c.expression == expression


@pytest.mark.parametrize(
    ("value", "src", "dst", "expected", "expression"),
    [
        ("2.28", "万元", "元", "22800", "2.28 * 10000"),
        ("22800", "元", "万元", "2.28", "22800 / 10000"),
        ("1.5", "亿元", "万元", "15000.00", "1.5 * 10000"),
        ("4212345", "元", "万元", "421.23", "4212345 / 10000"),
        ("5", "人", "人", "5", "5"),
    ],
)
def test_in_unit(value: str, src: str, dst: str, expected: str, expression: str) -> None:
    c = in_unit(op(value, src), dst)
    assert str(c.result) == expected
    assert c.unit == dst
    assert c.expression == expression


@pytest.mark.parametrize(
    ("value", "src", "dst", "expected"),
    [
        ("4212300", "元", "万元", "421.23"),
        ("4212345", "元", "万元", "421.2345"),  # convert itself never rounds
        ("2.28", "万元", "元", "22800"),
        ("3", "亿元", "万元", "30000"),
        ("12", "人", "人", "12"),
    ],
)
def test_convert(value: str, src: str, dst: str, expected: str) -> None:
    assert convert(Decimal(value), src, dst) == Decimal(expected)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: share(op("1"), op("0")), "division by zero"),
        (lambda: change(op("1"), op("0")), "division by zero"),
        (lambda: per_unit(op("1"), op("0", "人")), "division by zero"),
        (lambda: total([op("1", "人"), op("1", "万元")]), "incompatible units"),
        (lambda: share(op("1", "人"), op("1", "万元")), "incompatible units"),
        (lambda: per_unit(op("1"), op("1", "万元")), "incompatible units"),
        (lambda: convert(Decimal(1), "万元", "%"), "incompatible units"),
        (lambda: convert(Decimal(1), "人", "辆"), "incompatible units"),
        (lambda: op("1", "千元"), "unknown money unit"),
        (lambda: op("1", ""), "unknown unit"),
        (lambda: total([]), "at least one"),
        (lambda: change(op("5", "%"), op("4", "%")), "percentage"),
        (lambda: total([op("1E+30", "元")]), "too large"),
    ],
)
def test_errors(call, message: str) -> None:
    with pytest.raises(CalculationError, match=message):
        call()


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("2.28", "万元", "2.28万元"),
        ("22800", "元", "22800元"),
        ("22800.5", "元", "22800.50元"),
        ("96.5", "%", "96.50%"),
        ("3", "亿元", "3.00亿元"),
        ("16", "人", "16人"),
        ("12.345", "平方米", "12.35平方米"),
        ("2.28E+4", "元", "22800元"),
    ],
)
def test_format_amount(value: str, unit: str, expected: str) -> None:
    assert format_amount(Decimal(value), unit) == expected


def test_citation_carried_through_and_json() -> None:
    cite = {"doc": "2024部门预算.pdf", "page": 12}
    a = Operand("人员经费", Decimal("297.64"), "万元", cite)
    c = share(a, op("308.44", label="基本支出"))
    assert c.operands[0].citation is cite
    data = json.loads(json.dumps(c.to_json(), ensure_ascii=False))
    assert data == {
        "expression": "297.64 / 308.44 * 100",
        "result": 96.5,
        "unit": "%",
        "operands": [
            {"label": "人员经费", "value": 297.64, "unit": "万元"},
            {"label": "基本支出", "value": 308.44, "unit": "万元"},
        ],
    }


@pytest.mark.parametrize(
    ("args", "result", "unit"),
    [
        (
            {"operation": "share", "values": ["297.64", "308.44"], "units": ["万元", "万元"]},
            96.5,
            "%",
        ),
        ({"operation": "sum", "values": ["1", "5000"], "units": ["万元", "元"]}, 1.5, "万元"),
        (
            {
                "operation": "convert",
                "values": ["4,212,300"],
                "units": ["元"],
                "target_unit": "万元",
            },
            421.23,
            "万元",
        ),
        (
            {
                "operation": "per_unit",
                "values": ["297.64", "16"],
                "units": ["万元", "人"],
                "labels": ["人员经费", "人数"],
            },
            18.6,
            "万元",
        ),
        (
            {"operation": "previous_from_change", "values": ["202.32", "31.60"], "units": ["万元"]},
            170.72,
            "万元",
        ),
        (
            {"operation": "scale", "values": ["100"], "units": ["万元"], "percent": "-5"},
            95.0,
            "万元",
        ),
        ({"operation": "change", "values": ["110", "100"], "units": ["万元"]}, 10.0, "%"),
        (
            {
                "operation": "difference",
                "values": ["1", "5000"],
                "units": ["万元", "元"],
                "target_unit": "元",
            },
            5000.0,
            "元",
        ),
    ],
)
def test_tool(args: dict, result: float, unit: str) -> None:
    tool = calc.calculator_tool()
    out = tool.invoke(args)
    assert out["result"] == result, out
    assert out["unit"] == unit
    json.dumps(out)


@pytest.mark.parametrize(
    "args",
    [
        {"operation": "share", "values": ["1", "0"], "units": ["万元", "万元"]},
        {"operation": "share", "values": ["1"], "units": ["万元"]},
        {"operation": "sum", "values": ["abc"], "units": ["万元"]},
        {"operation": "sum", "values": ["1", "2"], "units": ["万元", "元", "元"]},
        {"operation": "convert", "values": ["1"], "units": ["万元"]},
        {"operation": "scale", "values": ["1"], "units": ["万元"]},
        {"operation": "sqrt", "values": ["1"], "units": ["万元"]},
        {"operation": "sum"},
    ],
)
def test_tool_errors_are_returned(args: dict) -> None:
    out = calc.calculator_tool().invoke(args)
    assert set(out) == {"error"}
    assert isinstance(out["error"], str) and out["error"]


def test_tool_division_by_zero_message() -> None:
    out = calc.calculator_tool().invoke(
        {"operation": "share", "values": ["297.64", "0"], "units": ["万元", "万元"]}
    )
    assert "division by zero" in out["error"]


def test_tool_schema() -> None:
    tool = calc.calculator_tool()
    assert tool.name == "calculator"
    props = tool.args_schema.model_json_schema()["properties"]
    assert set(props) == {"operation", "values", "units", "labels", "target_unit", "percent"}


def test_no_eval_in_source() -> None:
    assert "eval" not in Path(calc.__file__).read_text(encoding="utf-8")

"""Deterministic arithmetic for the budget QA chatbot.

The language model never does arithmetic itself: it extracts cited figures and asks this
module, so every number in an answer is reproducible from the document and the expression.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from ingest.errors import BudgetQAError
from ingest.model import MONEY_UNITS

if TYPE_CHECKING:
    from langchain_core.tools import StructuredTool

# Scale of each money unit in 元; conversion only ever multiplies/divides by powers of ten,
# so it stays exact.
PERCENT = "%"
_CENT = Decimal("0.01")
_PREC = 28


class CalculationError(BudgetQAError):
    """Raised for inputs that have no meaningful answer; the message is shown to the model."""


def _check_unit(unit: str) -> str:
    if not unit or unit != unit.strip():
        raise CalculationError(f"unknown unit {unit!r}")
    # A "元" we do not know (千元, 美元 ...) must not silently pass through as a counting unit.
    if unit.endswith("元") and unit not in MONEY_UNITS:
        raise CalculationError(f"unknown money unit {unit!r}; use one of 元, 万元, 亿元")
    return unit


@dataclass(frozen=True)
class Operand:
    label: str
    value: Decimal
    unit: str
    citation: object | None = None

    def __post_init__(self) -> None:
        # Validate at construction so a bad figure is reported where it was extracted.
        if not isinstance(self.value, Decimal) or not self.value.is_finite():
            raise CalculationError(f"{self.label}: value must be a finite Decimal")
        _check_unit(self.unit)


@dataclass(frozen=True)
class Calculation:
    expression: str
    result: Decimal
    unit: str
    operands: tuple[Operand, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "result": float(self.result),
            "unit": self.unit,
            "operands": [
                {"label": o.label, "value": float(o.value), "unit": o.unit} for o in self.operands
            ],
        }


def _is_money(unit: str) -> bool:
    return unit in MONEY_UNITS


def _finish(value: Decimal, unit: str) -> Decimal:
    """Round only the final result; whole 元 and whole counts are kept exact."""
    with localcontext(prec=_PREC):
        keep_integral = unit == "元" or not (_is_money(unit) or unit == PERCENT)
        try:
            if keep_integral and value == value.to_integral_value():
                out = value.quantize(Decimal(1))
            else:
                out = value.quantize(_CENT, rounding=ROUND_HALF_UP)
        except InvalidOperation:  # more than 28 significant digits cannot be kept exact
            raise CalculationError(f"result {value} is too large to compute exactly") from None
        return abs(out) if out == 0 else out  # never report "-0.00"


def _num(d: Decimal) -> str:
    # format "f" avoids "2.28E+4"; negatives are bracketed so "a - (-5)" stays unambiguous.
    s = format(d, "f")
    return f"({s})" if d < 0 else s


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    _check_unit(from_unit)
    _check_unit(to_unit)
    if from_unit == to_unit:
        return value
    if not (_is_money(from_unit) and _is_money(to_unit)):
        raise CalculationError(f"incompatible units: cannot convert {from_unit} to {to_unit}")
    with localcontext(prec=_PREC):
        return value * MONEY_UNITS[from_unit] / MONEY_UNITS[to_unit]


def _values(operands: Sequence[Operand], unit: str) -> list[Decimal]:
    return [convert(o.value, o.unit, unit) for o in operands]


def total(operands: Sequence[Operand], unit: str | None = None) -> Calculation:
    if not operands:
        raise CalculationError("sum needs at least one value")
    target = _check_unit(unit or operands[0].unit)
    vals = _values(operands, target)
    with localcontext(prec=_PREC):
        result = sum(vals, Decimal(0))
    expr = " + ".join(_num(v) for v in vals)
    return Calculation(expr, _finish(result, target), target, tuple(operands))


def difference(a: Operand, b: Operand, unit: str | None = None) -> Calculation:
    target = _check_unit(unit or a.unit)
    va, vb = _values((a, b), target)
    with localcontext(prec=_PREC):
        result = va - vb
    return Calculation(f"{_num(va)} - {_num(vb)}", _finish(result, target), target, (a, b))


def remainder(whole: Operand, parts: Sequence[Operand], unit: str | None = None) -> Calculation:
    """What is left of the whole without its parts: whole - (p1 + p2 …)."""
    if not parts:
        raise CalculationError("a remainder needs a part to leave out")
    target = _check_unit(unit or whole.unit)
    vals = _values((whole, *parts), target)
    with localcontext(prec=_PREC):
        result = vals[0] - sum(vals[1:], Decimal(0))
    taken = " + ".join(_num(v) for v in vals[1:])
    expr = f"{_num(vals[0])} - {taken if len(parts) == 1 else f'({taken})'}"
    return Calculation(expr, _finish(result, target), target, (whole, *parts))


def share(part: Operand, whole: Operand) -> Calculation:
    # Expressed in the part's unit; any money unit gives the same ratio.
    vp, vw = _values((part, whole), part.unit)
    if vw == 0:
        raise CalculationError(f"division by zero: {whole.label} is 0")
    with localcontext(prec=_PREC):
        result = vp / vw * 100
    return Calculation(
        f"{_num(vp)} / {_num(vw)} * 100", _finish(result, PERCENT), PERCENT, (part, whole)
    )


def change(current: Operand, previous: Operand) -> Calculation:
    if current.unit == PERCENT or previous.unit == PERCENT:
        # Relative change of a rate is rarely what a question means; percentage points are.
        raise CalculationError("change of percentages is ambiguous; use difference for points")
    vc, vp = _values((current, previous), current.unit)
    if vp == 0:
        raise CalculationError(f"division by zero: {previous.label} is 0")
    with localcontext(prec=_PREC):
        result = (vc - vp) / vp * 100
    expr = f"({_num(vc)} - {_num(vp)}) / {_num(vp)} * 100"
    return Calculation(expr, _finish(result, PERCENT), PERCENT, (current, previous))


def change_size(current: Operand, previous: Operand) -> Calculation:
    """The size of a change as people say it, "增长/下降 X%": the rate taken from the larger minus the
    smaller, so a fall is a positive rate of decline; the amount of the change is an operand too."""
    if current.unit == PERCENT or previous.unit == PERCENT:
        raise CalculationError("change of percentages is ambiguous; use difference for points")
    vc, vp = _values((current, previous), current.unit)
    if vp == 0:
        raise CalculationError(f"division by zero: {previous.label} is 0")
    big, small = (vc, vp) if vc >= vp else (vp, vc)
    with localcontext(prec=_PREC):
        amount, result = big - small, (big - small) / vp * 100
    moved = Operand("增加额" if vc >= vp else "减少额", _finish(amount, current.unit), current.unit)
    expr = f"({_num(big)} - {_num(small)}) / {_num(vp)} * 100"
    return Calculation(expr, _finish(result, PERCENT), PERCENT, (current, previous, moved))


def previous_from_change(current: Operand, delta: Operand) -> Calculation:
    unit = current.unit
    with localcontext(prec=_PREC):
        if delta.unit == PERCENT and unit != PERCENT:
            # Documents also say "比上年增长10%": then previous = current / (1 + d / 100).
            if delta.value == -100:
                raise CalculationError("division by zero: a -100% change has no previous value")
            result = current.value / (1 + delta.value / 100)
            expr = f"{_num(current.value)} / (1 + {_num(delta.value)} / 100)"
        else:
            vd = convert(delta.value, delta.unit, unit)
            result = current.value - vd
            expr = f"{_num(current.value)} - {_num(vd)}"
    return Calculation(expr, _finish(result, unit), unit, (current, delta))


def per_unit(amount: Operand, count: Operand) -> Calculation:
    if _is_money(count.unit) or count.unit == PERCENT or amount.unit == PERCENT:
        raise CalculationError(f"incompatible units: {amount.unit} per {count.unit}")
    if count.value == 0:
        raise CalculationError(f"division by zero: {count.label} is 0")
    with localcontext(prec=_PREC):
        result = amount.value / count.value
    expr = f"{_num(amount.value)} / {_num(count.value)}"
    return Calculation(expr, _finish(result, amount.unit), amount.unit, (amount, count))


def scale(value: Operand, percent: Decimal) -> Calculation:
    if not isinstance(percent, Decimal) or not percent.is_finite():
        raise CalculationError("percent must be a finite Decimal")
    with localcontext(prec=_PREC):
        result = value.value * (1 + percent / 100)
    sign = "-" if percent < 0 else "+"
    expr = f"{_num(value.value)} * (1 {sign} {format(abs(percent), 'f')} / 100)"
    return Calculation(expr, _finish(result, value.unit), value.unit, (value,))


def in_unit(value: Operand, unit: str) -> Calculation:
    result = convert(value.value, value.unit, unit)
    expr = _num(value.value)
    if unit != value.unit:
        src, dst = MONEY_UNITS[value.unit], MONEY_UNITS[unit]
        op, factor = ("*", src / dst) if src > dst else ("/", dst / src)
        expr = f"{expr} {op} {format(factor, 'f')}"
    return Calculation(expr, _finish(result, unit), unit, (value,))


def format_amount(value: Decimal, unit: str) -> str:
    """Display form: no thousands separators; 万元/亿元/% always two decimals."""
    return f"{format(_finish(value, _check_unit(unit)), 'f')}{unit}"


# --- LLM tool -------------------------------------------------------------------------------

Operation = Literal[
    "sum", "difference", "share", "change", "per_unit", "convert", "previous_from_change", "scale"
]
_BINARY = ("difference", "share", "change", "per_unit", "previous_from_change")
_ARITY = dict.fromkeys(_BINARY, 2) | {"convert": 1, "scale": 1}


class CalculatorArgs(BaseModel):
    operation: Operation = Field(description="which calculation to perform")
    values: list[str] = Field(description="numbers as decimal strings, e.g. '297.64'")
    units: list[str] = Field(description="unit per value (元/万元/亿元/%/人...); one unit = all")
    labels: list[str] = Field(default=[], description="what each value is, e.g. '人员经费'")
    target_unit: str | None = Field(
        default=None, description="result unit for sum/difference/convert"
    )
    percent: str | None = Field(default=None, description="percent for scale, e.g. '-5'")


def _dec(text: str, what: str) -> Decimal:
    try:
        # Models copy figures like "4,212,300" straight from tables.
        d = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise CalculationError(f"{what} {text!r} is not a decimal number") from None
    if not d.is_finite():
        raise CalculationError(f"{what} {text!r} is not a finite number")
    return d


def _dispatch(
    operation: str, ops: list[Operand], target: str | None, percent: str | None
) -> Calculation:
    if operation == "sum":
        return total(ops, target)
    if operation == "difference":
        return difference(ops[0], ops[1], target)
    if operation == "convert":
        if not target:
            raise CalculationError("convert needs target_unit")
        return in_unit(ops[0], target)
    if operation == "scale":
        if percent is None:
            raise CalculationError("scale needs percent")
        return scale(ops[0], _dec(percent, "percent"))
    binary: dict[str, Callable[[Operand, Operand], Calculation]] = {
        "share": share,
        "change": change,
        "per_unit": per_unit,
        "previous_from_change": previous_from_change,
    }
    if operation not in binary:
        raise CalculationError(f"unknown operation {operation!r}")
    return binary[operation](ops[0], ops[1])


def _run(
    operation: str,
    values: list[str],
    units: list[str],
    labels: list[str] | None = None,
    target_unit: str | None = None,
    percent: str | None = None,
) -> dict[str, Any]:
    try:
        labels = labels or [f"value{i + 1}" for i in range(len(values))]
        units = units * len(values) if len(units) == 1 else units  # one unit applies to all
        if len(units) != len(values) or len(labels) != len(values):
            raise CalculationError("values, units and labels must have the same length")
        need = _ARITY.get(operation)
        if (need is not None and len(values) != need) or not values:
            raise CalculationError(f"{operation} needs {need or 'at least 1'} value(s)")
        ops = [
            Operand(lb, _dec(v, "value"), u) for lb, v, u in zip(labels, values, units, strict=True)
        ]
        return _dispatch(operation, ops, target_unit, percent).to_json()
    except CalculationError as e:
        return {"error": str(e)}
    except ArithmeticError as e:  # decimal overflow/underflow: report, never raise to the agent
        return {"error": f"arithmetic error: {type(e).__name__}"}


def _invalid_args(e: Exception) -> Any:
    # Returned instead of raised, so the agent loop sees a message it can correct.
    return {"error": f"invalid calculator arguments: {e}"}


def calculator_tool() -> StructuredTool:
    from langchain_core.tools import StructuredTool

    return StructuredTool.from_function(
        func=_run,
        name="calculator",
        description=(
            "Exact budget arithmetic. sum/difference: values in any money units, result in "
            "target_unit (default first unit). share: part, whole -> %. change: current, previous "
            "-> % change. per_unit: amount, count. convert: one value to target_unit. "
            "previous_from_change: current, signed delta (money, or % growth). scale: value "
            "with percent. Always use this instead of computing numbers yourself."
        ),
        args_schema=CalculatorArgs,
        handle_validation_error=_invalid_args,
    )

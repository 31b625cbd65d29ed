"""Whether a printed rate follows from printed figures, allowing for the rounding of each.

A figure printed to d decimals stands for any value within half a unit of its last
decimal; a document that drops trailing zeros ("317.8 万元" beside "12,323.48 万元")
prints its money to the most decimals it prints anywhere in that unit. A rate follows
from its figures when the range the figures allow, rounded as the rate is printed,
reaches the printed rate: so the document's own rounding never raises an alarm, and a
rate one hundredth off where the figures leave no room is a slip.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ingest.model import MONEY_UNITS, Fact

HUNDRED = Decimal(100)


def decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0


@dataclass(frozen=True)
class Precision:
    """The decimals a document prints each unit to (its money at most, its rates as printed)."""

    places: dict[str, int]

    @classmethod
    def of(cls, facts: list[Fact]) -> Precision:
        places: dict[str, int] = defaultdict(int)
        for f in facts:
            if f.unit in MONEY_UNITS:
                places[f.unit] = max(places[f.unit], decimals(f.value))
        return cls(dict(places))

    def half(self, f: Fact) -> Decimal:
        """Half a unit of the last decimal the figure stands for."""
        places = decimals(f.value) if f.unit not in MONEY_UNITS else max(self.places.get(f.unit, 0),
                                                                          decimals(f.value))
        return Decimal(5).scaleb(-places - 1)


def rounded(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def fits(stated: Decimal, lo: Decimal, hi: Decimal) -> bool:
    """Whether a rate printed as `stated` (in %) can be a value in [lo, hi] (in %) rounded."""
    half = Decimal(5).scaleb(-decimals(stated) - 1)
    return stated + half >= lo and stated - half <= hi


def ratio_range(part: Decimal, part_half: Decimal, whole: Decimal, whole_half: Decimal) -> tuple[Decimal, Decimal]:
    """part / whole in %, over the figures' rounding."""
    low_whole, high_whole = whole + whole_half, whole - whole_half
    if high_whole <= 0:
        return Decimal(0), Decimal("Infinity")
    return (part - part_half) / low_whole * HUNDRED, (part + part_half) / high_whole * HUNDRED


def growth_range(amount: Decimal, amount_half: Decimal, change: Decimal, change_half: Decimal,
                 rise: bool) -> tuple[Decimal, Decimal]:
    """change / last year in %, last year being amount − change (a rise) or amount + change
    (a fall), over the figures' rounding."""
    sign = -1 if rise else 1
    low_base = amount + amount_half + sign * (change - change_half)
    high_base = amount - amount_half + sign * (change + change_half)
    if high_base <= 0:
        return Decimal(0), Decimal("Infinity")
    return (change - change_half) / low_base * HUNDRED, (change + change_half) / high_base * HUNDRED


def in_yuan(f: Fact) -> Decimal | None:
    scale = MONEY_UNITS.get(f.unit)
    return f.value * scale if scale is not None else None

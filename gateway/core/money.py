"""Money and counts as people read them: one formatter for every page and every refusal message.

Costs per request are often fractions of a cent, so rounding them to cents would show "$0.00"
for a request that cost $0.0017. Amounts of a cent or more show cents; smaller ones show up to
three significant digits, never in exponent notation.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
SUB_CENT_DIGITS = 3  # significant digits of an amount below one cent


def _decimal(amount: Decimal | int | float | str) -> Decimal:
    try:
        value = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    except InvalidOperation:
        raise ValueError(f"not an amount of money: {amount!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount of money: {amount!r}")
    return value


def format_usd(amount: Decimal | int | float | str) -> str:
    """`$1,234.50`, `$0.0017`, `$0.000000001`, `$0.00`, `-$3.00`, from dollars."""
    value = _decimal(amount)
    sign, magnitude = ("-" if value < 0 else ""), abs(value)
    if magnitude == 0:
        return "$0.00"
    if magnitude >= CENT:
        cents = magnitude.quantize(CENT, rounding=ROUND_HALF_UP)
        return f"{sign}${cents:,.2f}"
    # The exponent of the first significant digit decides how many places keep SUB_CENT_DIGITS.
    places = SUB_CENT_DIGITS - 1 - magnitude.adjusted()
    rounded = magnitude.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded >= CENT:  # 0.009996 rounds up to a cent
        return f"{sign}$0.01"
    text = f"{rounded:f}".rstrip("0")
    return f"{sign}${text}"


def format_count(count: int | str | None) -> str:
    """A count of tokens or requests with thousands separators: `1,234,567`."""
    if count is None or count == "":
        return "0"
    return f"{int(count):,}"

"""Money and counts as the admin pages and refusal messages write them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.core.money import format_count, format_usd


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (0, "$0.00"),
        (Decimal("0E-9"), "$0.00"),
        (Decimal("0.0017"), "$0.0017"),
        (Decimal("0E-9") + Decimal("1E-9"), "$0.000000001"),
        (Decimal("0.000019800"), "$0.0000198"),
        (Decimal("0.00123456"), "$0.00123"),
        (Decimal("1234.5"), "$1,234.50"),
        (Decimal("12345678901.239"), "$12,345,678,901.24"),
        (Decimal("250.000000000"), "$250.00"),
        (Decimal("0.015"), "$0.02"),
        (Decimal("0.009996"), "$0.01"),
        (Decimal("-3"), "-$3.00"),
        ("0.550000000", "$0.55"),
        (0.1, "$0.10"),
    ],
)
def test_an_amount_reads_as_dollars_with_its_significant_digits(
    amount: Decimal | int | float | str, shown: str
) -> None:
    assert format_usd(amount) == shown


@pytest.mark.parametrize("amount", [Decimal("1E-9"), Decimal("0.000000001"), Decimal("1E-7")])
def test_a_tiny_amount_is_never_in_exponent_notation(amount: Decimal) -> None:
    assert "E" not in format_usd(amount).upper()


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "a lot"])
def test_what_is_not_an_amount_is_refused(amount: str) -> None:
    with pytest.raises(ValueError, match="not an amount of money"):
        format_usd(amount)


@pytest.mark.parametrize(
    ("count", "shown"), [(0, "0"), (999, "999"), (1234, "1,234"), (12_345_678, "12,345,678"), ("4096", "4,096")]
)
def test_a_count_has_thousands_separators(count: int | str, shown: str) -> None:
    assert format_count(count) == shown

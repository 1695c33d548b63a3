"""One place for money arithmetic: exact decimals, 4 places, half up. Never float."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from moneyed import Money

PLACES = Decimal("0.0001")


def quantize(amount) -> Decimal:
    """Round a Decimal (or int/str) to 4 places, half up."""
    if isinstance(amount, float):
        raise TypeError("money is never a float")
    return Decimal(amount).quantize(PLACES, rounding=ROUND_HALF_UP)


def money(amount, currency: str | None = None) -> Money:
    """A Money in the portal currency, quantized."""
    if isinstance(amount, Money):
        amount = amount.amount
    return Money(quantize(amount), currency or settings.PORTAL_CURRENCY)


def fmt(value) -> str:
    """The seed's display: 5 -> '5.0000'."""
    if isinstance(value, Money):
        value = value.amount
    return f"{quantize(value):.4f}"


def fmt_page(value) -> str:
    """How pages show money: 1234.5 -> '1,234.5000' (thousands grouped). ``fmt`` stays the
    form for CSV files, form inputs and stored text, which are read back."""
    if isinstance(value, Money):
        value = value.amount
    return f"{quantize(value):,.4f}"

"""The entry table's rows (billing/ledger/entry_rows.py) for the pages that include it."""

from django import template

from billing.ledger.entry_rows import entry_rows as _entry_rows

register = template.Library()


@register.filter
def entry_rows(entries):
    """``{% for entry in rows|entry_rows %}``: ledger entries as rows of display values."""
    return _entry_rows(entries)

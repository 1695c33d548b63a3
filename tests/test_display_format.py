"""One way to show things (issue 17): money on pages with thousands separators, CSV and inputs
without; countries by their everyday name wherever a page or a dropdown names one."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django_countries import countries
from moneyed import Money

from audit.models import AuditEntry
from core.countries import EVERYDAY_NAMES, country_name
from core.money import fmt, fmt_page
from dids.country_names import CountryNames
from dids.forms import DIDForm
from dids.importing.cells import country_cell
from tests.factories import DIDFactory


@pytest.mark.parametrize(("value", "page", "plain"), [
    (Decimal("5"), "5.0000", "5.0000"),
    (Decimal("1234.5"), "1,234.5000", "1234.5000"),
    (Decimal("-12345.00005"), "-12,345.0001", "-12345.0001"),
    (Money("1000000", "USD"), "1,000,000.0000", "1000000.0000"),
])
def test_pages_group_thousands_and_files_do_not(value, page, plain):
    assert fmt_page(value) == page
    assert fmt(value) == plain  # CSV, form inputs, stored text: read back as they are
    assert Template("{% load portal %}{{ v|amount }}").render(Context({"v": value})) == page


def test_fmt_page_refuses_a_float_like_fmt():
    with pytest.raises(TypeError):
        fmt_page(1234.5)


def test_every_way_of_naming_a_country_says_the_same(db):
    assert EVERYDAY_NAMES["US"] == "United States"
    did = DIDFactory(country="US")
    assert did.country.name == "United States"  # django-countries, through COUNTRIES_OVERRIDE
    assert countries.name("GB") == "United Kingdom"
    assert country_name("US") == "United States" and country_name("DE") == "Germany"
    assert CountryNames().of(did.country) == "United States"
    labels = dict(DIDForm().fields["country"].choices)
    assert labels["US"] == "United States" and labels["KR"] == "South Korea"
    assert "United States of America" not in labels.values()


@pytest.mark.parametrize("text", ["US", "us", "United States", "United States of America", "USA"])
def test_the_import_reads_iso_and_everyday_names(text):
    assert country_cell(text) == "US"


def test_the_audit_trail_shows_a_country_code_by_its_name():
    entry = AuditEntry(changes={"country": ["", "US"], "city": ["Paris", "US"]})
    assert entry.change_rows == [("country", "", "United States"), ("city", "Paris", "US")]

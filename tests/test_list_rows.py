"""The list pages' rows of display values (dids/list_rows.py, resellers/offer_rows.py,
billing/ledger/entry_rows.py) and the one-pass search-panel fields (core/widgets.py):
the same text, links and HTML as the template lookups, ``{% url %}`` and Django's
widget templates they replace."""

from datetime import datetime, timezone as dt_timezone
from decimal import Decimal

import pytest
from django import forms
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from billing.ledger.entry_rows import entry_rows
from billing.models import LedgerEntry
from billing.prices.resolve import Price
from core.pk_urls import pk_url
from core.widgets import field_html, label_html
from dids.filters import DIDSearchForm
from dids.list_rows import did_list_rows
from dids.models import DID
from resellers.offer_rows import offer_rows
from tests.factories import DIDFactory, ProviderFactory


def test_pk_url_is_reverse_with_the_pk():
    for name in ("dids:edit", "dids:delete", "billing:edit_info", "admin_release", "resellers:purchase"):
        url = pk_url(name)
        assert [url(pk) for pk in (1, 42, 9_876_543_210)] == [reverse(name, args=[pk]) for pk in (1, 42, 9_876_543_210)]
    with pytest.raises(Exception):
        pk_url("dids:list")  # takes no pk


def test_did_rows_sold_unsold_suspended_and_display_text(db, reseller_user):
    carrier = ProviderFactory(name="Acme <Tel>")
    unsold = DIDFactory(number="+442071234567", country="GB", city="London", provider=carrier,
                        buy_cost=Decimal("1.5"), status=DID.Status.INACTIVE, billing_type=DID.BillingType.ONE_TIME)
    sold = DIDFactory(country="DE", holder=reseller_user.account)
    late = DIDFactory(country="GB", holder=reseller_user.account)
    dids = DID.objects.select_related("provider", "holder").filter(pk__in=[unsold.pk, sold.pk, late.pk]).order_by("pk")
    rows = {row["pk"]: row for row in did_list_rows(dids, suspended={late.pk, unsold.pk})}
    a, b, c = rows[str(unsold.pk)], rows[str(sold.pk)], rows[str(late.pk)]

    assert (a["shown"], a["country"], a["city"]) == ("+44 20 7123 4567", "United Kingdom", "London")
    assert a["provider"] == "Acme <Tel>"
    assert (a["buy_cost"], a["setup_fee"], a["monthly_fee"]) == ("1.5000", "5.0000", "20.0000")
    assert (a["billing_type"], a["billing_days"], a["status"]) == ("One Time", "28", "Inactive")
    assert a["status_badge"] == "text-bg-secondary" and b["status_badge"] == "text-bg-success"
    assert b["country"] == "Germany"
    # Unsold: Delete, no holder, never suspended (even if asked); sold: Release, the holder's name.
    assert (a["held"], a["holder"], a["suspended"]) == (False, "", False)
    assert a["action_url"] == reverse("dids:delete", args=[unsold.pk])
    assert (b["held"], b["holder"], b["suspended"]) == (True, reseller_user.account.name, False)
    assert b["action_url"] == reverse("admin_release", args=[sold.pk])
    assert c["suspended"] is True
    assert a["edit_url"] == reverse("dids:edit", args=[unsold.pk])
    assert a["edit_info_url"] == reverse("billing:edit_info", args=[unsold.pk])


def test_did_list_page_shows_the_rows(admin_client, reseller_user):
    DIDFactory(number="+12025550100", city="Tom & <Jerry>")
    held = DIDFactory(number="+12025550101", holder=reseller_user.account)
    html = admin_client.get(reverse("dids:list")).content.decode()
    assert 'title="Tom &amp; &lt;Jerry&gt;">Tom &amp; &lt;Jerry&gt;</td>' in html  # escaped once
    assert f'<a class="btn btn-outline-warning" href="/dids/{held.pk}/release/">Release</a>' in html
    assert html.count(">Delete</a>") == 1
    assert f'name="ids" value="{held.pk}" form="bulk-form" aria-label="Select +1 202-555-0101"' in html


def test_offer_rows(db):
    did = DIDFactory(number="+12025550123", country="FR", city="Paris", province="IDF", billing_days=30)
    offers = {did.pk: Price(setup_fee=Decimal("2"), price=Decimal("3.25"), billing_type="recurring", billing_days=30)}
    [row] = offer_rows([did], offers)
    assert row == {
        "pk": did.pk,  # Buy several's checkbox
        "shown": "+1 202-555-0123", "country": "France", "city": "Paris", "province": "IDF", "setup_fee": "2.0000",
        "price": "3.2500", "billing_type": "Recurring", "billing_days": "30",
        "purchase_url": reverse("resellers:purchase", args=[did.pk]),
    }


@override_settings(TIME_ZONE="Asia/Kolkata")
def test_entry_rows_dates_in_the_current_time_zone_and_signs():
    did = DID(pk=5, number="+12025550123")
    moment = datetime(2026, 1, 31, 20, 45, tzinfo=dt_timezone.utc)  # 2026-02-01 02:15 in Kolkata
    debit = LedgerEntry(kind="did_price", amount=Decimal("-1.5"), balance_after=Decimal("3"), description="x < y",
                        did=did, created_at=moment, period_start=moment, period_end=moment.replace(month=3))
    credit = LedgerEntry(kind="funds_added", amount=Decimal("5"), balance_after=Decimal("8"), created_at=moment)
    with timezone.override("Asia/Kolkata"):
        first, second = entry_rows([debit, credit])
    assert first == {"created": "2026-02-01 02:15", "kind": "DID price", "description": "x < y", "did": "+1 202-555-0123",
                     "period": "2026-02-01 – 2026-04-01", "amount": "-1.5000", "negative": True, "balance": "3.0000"}
    assert (second["did"], second["period"], second["negative"], second["amount"]) == ("", "", False, "5.0000")


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kathmandu"])
def test_entry_dates_as_the_date_filter_writes_them(zone):
    from django.template.defaultfilters import date as date_filter
    from django.utils.timezone import template_localtime

    from billing.ledger.entry_rows import day, minute

    with timezone.override(zone):
        for moment in (datetime(2026, 3, 8, 6, 59, tzinfo=dt_timezone.utc),
                       datetime(999, 12, 31, 23, 1, tzinfo=dt_timezone.utc),
                       datetime(2026, 11, 1, 5, 30, tzinfo=dt_timezone.utc)):
            local = template_localtime(moment)
            assert minute(moment) == date_filter(local, "Y-m-d H:i")
            assert day(moment) == date_filter(local, "Y-m-d")
    assert day(None) == ""


# --- the search panel's fields: Django's HTML, written in one pass ---------------------

class Panel(forms.Form):
    text = forms.CharField(required=False, max_length=20, help_text="Help")
    needed = forms.CharField(max_length=5)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    hidden = forms.IntegerField(required=False, widget=forms.HiddenInput)
    pick = forms.ChoiceField(required=False, choices=[("", "Any"), ("a", "A & B"), ("b", "<b>")], initial="a")
    grouped = forms.ChoiceField(required=False, choices=[("G", [("x", "X")]), ("y", "Y")])
    many = forms.MultipleChoiceField(required=False, choices=[("a", "A"), ("b", "B")])
    ended = forms.CharField(label="Done?", required=False)


DATA = [None, {}, {"text": 'a "quoted" <b> & 1', "needed": "", "day": "bad", "hidden": "7", "pick": "b",
                   "grouped": "x", "many": ["a", "b"]},
        {"text": "x", "needed": "toolong", "day": "2026-01-02", "pick": "zzz"}]


@pytest.mark.parametrize("data", DATA)
def test_fields_written_as_django_writes_them(data):
    form = Panel(data)
    form.is_valid() if data is not None else None
    for bound in form:
        for attrs in (None, {"class": "form-control form-control-sm"}):
            assert field_html(bound, attrs) == bound.as_widget(attrs=attrs), bound.name
        assert label_html(bound) == bound.label_tag(), bound.name
    prefixed = Panel(data, prefix="p", auto_id="f_%s")
    for bound in prefixed:
        assert field_html(bound, {"class": "c"}) == bound.as_widget(attrs={"class": "c"})
        assert label_html(bound) == bound.label_tag()


@pytest.mark.parametrize("query", [None, {"number": "12", "match": "starts", "country": "US", "status": "active"},
                                   {"provider": "999", "status": "zz", "city": "<x>"}])
def test_did_search_panel_written_as_django_writes_it(db, query):
    ProviderFactory(name="Tom & Co")
    form = DIDSearchForm(query)
    form.is_valid() if query else None
    for bound in form:
        plain = bound.as_widget(widget=forms.Select(choices=bound.field.choices)) if bound.name == "country" else None
        expected = plain if plain is not None else bound.as_widget(attrs={"class": "c"})
        if plain is not None:  # the country list's FastSelect: the same HTML as Django's Select
            assert field_html(bound) == plain
        else:
            assert field_html(bound, {"class": "c"}) == expected, bound.name
        assert label_html(bound) == bound.label_tag()

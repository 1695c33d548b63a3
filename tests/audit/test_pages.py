"""The audit pages: admin only, newest first, per DID and per account, filters, escaping,
a fixed number of queries, and no way to change an entry."""

import pytest
from django.urls import reverse

from accounts.models import Account
from audit import context
from audit.models import AuditEntry
from audit.record import record
from dids.models import DID
from tests.audit.helpers import IP
from tests.factories import AccountFactory, DIDFactory, make_account_user


def write(action="did.updated", **kwargs):
    kwargs.setdefault("summary", action)
    return record(action, **kwargs)


@pytest.fixture
def trail(admin_user):
    """Rows about two DIDs and two accounts, some by the admin from the UI, some by a command."""
    did_a, did_b = DIDFactory(), DIDFactory()
    acct_a, acct_b = AccountFactory(name="Alpha"), AccountFactory(name="Beta")
    with context.using(source=context.UI, ip=IP, actor=admin_user):
        write(did=did_a, summary="A price", changes={"monthly_fee": ("20.0000", "21.0000")})
        write("account.updated", account=acct_a, summary="Alpha renamed", changes={"name": ("Alfa", "Alpha")})
    write(did=did_b, summary="B by command")
    write("balance.funds_added", account=acct_b, summary="Beta refill")
    write("subscription.purchased", did=did_a, account=acct_b, summary="A bought by Beta")
    return dict(did_a=did_a, did_b=did_b, acct_a=acct_a, acct_b=acct_b)


def summaries(response) -> list[str]:
    return [e.summary for e in response.context["page"].rows]


@pytest.mark.parametrize("name,arg", [("audit:list", None), ("audit:did", "did_a"), ("audit:account", "acct_a")])
def test_admin_only(client, reseller_user, customer_user, trail, name, arg):
    url = reverse(name, args=[trail[arg].pk] if arg else [])
    assert client.get(url).status_code == 302  # anonymous: the login page
    for user in (reseller_user, customer_user):
        client.force_login(user)
        assert client.get(url).status_code == 403


def test_the_list_shows_who_when_where_what_and_before_after(admin_client, trail):
    response = admin_client.get(reverse("audit:list"))
    assert summaries(response) == ["A bought by Beta", "Beta refill", "B by command", "Alpha renamed", "A price"]
    html = response.content.decode()
    assert "1 - 5 of 5 Records" in html
    assert IP in html and "System" in html and "admin" in html
    assert "20.0000 → 21.0000" in html and "Alfa → Alpha" in html
    assert reverse("audit:did", args=[trail["did_a"].pk]) in html
    assert reverse("audit:account", args=[trail["acct_b"].pk]) in html


def test_per_did_and_per_account_pages_show_only_their_rows(admin_client, trail):
    response = admin_client.get(reverse("audit:did", args=[trail["did_a"].pk]))
    assert summaries(response) == ["A bought by Beta", "A price"]
    assert f"DID {trail['did_a'].shown}" in response.content.decode()
    response = admin_client.get(reverse("audit:account", args=[trail["acct_b"].pk]))
    assert summaries(response) == ["A bought by Beta", "Beta refill"]
    assert admin_client.get(reverse("audit:account", args=[999999])).status_code == 404
    assert admin_client.get(reverse("audit:did", args=[999999])).status_code == 404


def test_a_deleted_dids_page_still_shows_its_rows(admin_client, trail):
    did = trail["did_b"]
    DID.objects.filter(pk=did.pk).delete()
    response = admin_client.get(reverse("audit:did", args=[did.pk]))
    assert summaries(response) == ["B by command"]
    assert "This DID has been deleted" in response.content.decode()


def test_filters(admin_client, trail):
    url = reverse("audit:list")
    digits = trail["did_a"].digits
    assert summaries(admin_client.get(url, {"did": f"+{digits[0]} {digits[1:]}"})) == ["A bought by Beta", "A price"]
    assert summaries(admin_client.get(url, {"account": trail["acct_a"].number})) == ["Alpha renamed"]
    assert summaries(admin_client.get(url, {"account": "0000000000"})) == []
    assert summaries(admin_client.get(url, {"action": "balance.funds_added"})) == ["Beta refill"]
    assert summaries(admin_client.get(url, {"source": "ui"})) == ["Alpha renamed", "A price"]
    assert summaries(admin_client.get(url, {"source": "command", "did": digits})) == ["A bought by Beta"]
    # A bad filter is shown as an error and filters nothing.
    response = admin_client.get(url, {"action": "nonsense"})
    assert len(summaries(response)) == 5 and response.context["search"].errors


def test_everything_is_escaped(admin_client, admin_user):
    evil = "<script>alert(1)</script>"
    user = make_account_user(name=evil)
    user.username = "<b>x</b>"
    user.save()
    account = user.account
    with context.using(source=context.UI, ip=IP, actor=user):
        record("account.updated", account=account, summary=f"Account {evil} changed",
               changes={"name": ("<i>old</i>", evil)})
    for url in (reverse("audit:list"), reverse("audit:account", args=[account.pk])):
        html = admin_client.get(url).content.decode()
        assert "<script>alert" not in html and "<b>x</b>" not in html and "<i>old</i>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_pages_go_newest_first_with_next_links(admin_client, settings):
    settings.LIST_EXACT_COUNT_LIMIT = 10  # keyset pages beyond ten rows
    account = AccountFactory()
    for n in range(30):
        write("account.updated", account=account, summary=f"change {n:02d}")
    first = admin_client.get(reverse("audit:list"))
    assert summaries(first) == [f"change {n:02d}" for n in range(29, 4, -1)]
    following = next(link for link in first.context["page"].links if link["label"] == "Next")
    second = admin_client.get(reverse("audit:list") + following["href"])
    assert summaries(second) == [f"change {n:02d}" for n in range(4, -1, -1)]


@pytest.mark.parametrize("name", ["audit:list", "audit:account"])
def test_a_fixed_number_of_queries(admin_client, django_assert_max_num_queries, name):
    account = AccountFactory()
    did = DIDFactory()
    url = reverse(name, args=[account.pk] if name == "audit:account" else [])

    def count(n):
        for i in range(n):
            write("subscription.purchased", account=account, did=did, summary=f"row {i}",
                  changes={"price": (None, "1.0000")})
        with django_assert_max_num_queries(6) as captured:
            admin_client.get(url, {"account": account.number} if name == "audit:list" else {})
        return len(captured.captured_queries)

    assert count(3) == count(40)


def test_nothing_changes_an_entry_from_the_portal(admin_client, trail):
    url = reverse("audit:list")
    assert admin_client.post(url).status_code == 405
    assert admin_client.post(reverse("audit:did", args=[trail["did_a"].pk])).status_code == 405
    from django.contrib import admin as django_admin
    assert AuditEntry not in django_admin.site._registry  # not in Django's admin either


def test_links_from_the_did_and_account_pages(admin_client, trail):
    did = trail["did_a"]
    assert reverse("audit:did", args=[did.pk]) in admin_client.get(reverse("dids:edit", args=[did.pk])).content.decode()
    assert reverse("audit:did", args=[did.pk]) in admin_client.get(
        reverse("billing:edit_info", args=[did.pk])).content.decode()
    assert reverse("audit:list") in admin_client.get(reverse("billing:audit")).content.decode()
    account = Account.objects.get(pk=trail["acct_a"].pk)
    html = admin_client.get(reverse("billing:account", args=[account.pk])).content.decode()
    assert reverse("audit:account", args=[account.pk]) in html

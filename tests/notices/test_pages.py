"""The notices pages: the list (newest first, unread marked), opening a notice and Mark all as read
(POST only), the unread count in the header, the settings (validated, audited); another account's
notice answers 404, an admin 403."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from audit.models import AuditEntry
from notices.models import EmailOptOut, Notice
from notices.preferences import KINDS

D = Decimal


def notice(account, subject="Hello", link="", read=False, **fields) -> Notice:
    return Notice.objects.create(account=account, kind=fields.pop("kind", Notice.Kind.LOW_BALANCE), subject=subject,
                                 body=fields.pop("body", f"About {subject}."), link=link,
                                 read_at=timezone.now() if read else None, **fields)


def settings_post(threshold="", **delivery):
    data = {"low_balance_threshold": threshold}
    for kind in KINDS:
        data[f"delivery_{kind.value}"] = delivery.get(kind.value, "email")
    return data


def test_the_list_shows_the_accounts_notices_newest_first_with_the_unread_marked(customer_client, customer_user,
                                                                                reseller_user):
    account = customer_user.account
    old = notice(account, "Older one", read=True, created_at=timezone.now() - timezone.timedelta(days=2))
    new = notice(account, "Newer one")
    notice(reseller_user.account, "Not yours")
    response = customer_client.get(reverse("notices:list"))
    assert response.status_code == 200
    page = response.context["page"]
    assert [n.pk for n in page.rows] == [new.pk, old.pk]
    html = response.content.decode()
    assert "Not yours" not in html
    assert html.count('data-testid="unread"') == 1 and html.index("Newer one") < html.index("Older one")
    assert "1 - 2 of 2 Records" in html


def test_an_empty_list_says_so(customer_client):
    html = customer_client.get(reverse("notices:list")).content.decode()
    assert "No notices yet" in html and 'data-testid="unread-count"' not in html


def test_opening_a_notice_marks_it_read_by_post_only_and_follows_its_link(customer_client, customer_user):
    mine = notice(customer_user.account, "Low balance", link="/portal/statement/")
    assert customer_client.get(reverse("notices:open"), {"notice": mine.pk}).status_code == 405
    assert Notice.objects.get(pk=mine.pk).read_at is None  # a GET changes nothing

    response = customer_client.post(reverse("notices:open"), {"notice": mine.pk})
    assert response.status_code == 302 and response["Location"] == "/portal/statement/"
    first = Notice.objects.get(pk=mine.pk).read_at
    assert first is not None
    customer_client.post(reverse("notices:open"), {"notice": mine.pk})
    assert Notice.objects.get(pk=mine.pk).read_at == first  # read once: the first time stays


def test_a_notice_without_a_safe_link_opens_back_to_the_list(customer_client, customer_user):
    for link in ("", "https://evil.example/", "//evil.example/"):
        mine = notice(customer_user.account, link=link)
        response = customer_client.post(reverse("notices:open"), {"notice": mine.pk})
        assert response["Location"] == reverse("notices:list")


def test_another_accounts_notice_is_not_found(customer_client, reseller_user):
    theirs = notice(reseller_user.account, "Theirs")
    for value in (theirs.pk, 987654, "abc", "", "99999999999999999999999", "-1"):
        assert customer_client.post(reverse("notices:open"), {"notice": value}).status_code == 404
    assert Notice.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_as_read_is_post_only_and_touches_only_the_accounts_own(customer_client, customer_user,
                                                                         reseller_user):
    mine = [notice(customer_user.account, f"n{i}") for i in range(3)]
    theirs = notice(reseller_user.account)
    assert customer_client.get(reverse("notices:read_all")).status_code == 405
    assert Notice.objects.filter(read_at__isnull=True).count() == 4
    response = customer_client.post(reverse("notices:read_all"), follow=True)
    assert "3 notices marked as read." in response.content.decode()
    assert not Notice.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).exists()
    assert Notice.objects.get(pk=theirs.pk).read_at is None


def test_the_header_shows_the_unread_count_in_one_query(customer_client, customer_user):
    account = customer_user.account
    for i in range(3):
        notice(account, f"n{i}")
    notice(account, "read", read=True)
    with CaptureQueriesContext(connection) as captured:
        html = customer_client.get(reverse("resellers:account")).content.decode()
    assert 'data-testid="notices-link"' in html and 'data-testid="unread-count">3<' in html
    assert len([q for q in captured.captured_queries if "notices_notice" in q["sql"]]) == 1


def test_the_header_count_stops_at_99(customer_client, customer_user):
    Notice.objects.bulk_create([Notice(account=customer_user.account, kind="low_balance", subject="s", body="b")
                                for _ in range(120)])
    html = customer_client.get(reverse("resellers:account")).content.decode()
    assert 'data-testid="unread-count">99+<' in html


def test_a_page_without_the_header_does_not_count(customer_client, customer_user):
    notice(customer_user.account)
    with CaptureQueriesContext(connection) as captured:
        response = customer_client.get(reverse("billing:statement"), {"format": "csv"})
        b"".join(response.streaming_content)
    assert not [q for q in captured.captured_queries if "notices_notice" in q["sql"]]


def test_admins_have_no_notices_pages_nor_link(admin_client):
    for name in ("notices:list", "notices:settings"):
        assert admin_client.get(reverse(name)).status_code == 403
    assert admin_client.post(reverse("notices:read_all")).status_code == 403
    assert 'data-testid="notices-link"' not in admin_client.get(reverse("dids:list")).content.decode()


def test_settings_show_the_current_choices(customer_client, customer_user):
    account = customer_user.account
    Account.objects.filter(pk=account.pk).update(low_balance_threshold=D("12.5"))
    EmailOptOut.objects.create(account=account, kind=Notice.Kind.PRICE_CHANGED)
    form = customer_client.get(reverse("notices:settings")).context["form"]
    assert form["low_balance_threshold"].value() == D("12.5")
    assert form["delivery_price_changed"].value() == "in_app" and form["delivery_low_balance"].value() == "email"


def test_settings_save_the_threshold_and_the_e_mail_choice_audited(customer_client, customer_user):
    account = customer_user.account
    response = customer_client.post(reverse("notices:settings"),
                                    settings_post("25", suspended="in_app", released="in_app"))
    assert response.status_code == 302
    assert Account.objects.get(pk=account.pk).low_balance_threshold == D("25")
    assert set(EmailOptOut.objects.filter(account=account).values_list("kind", flat=True)) == {"suspended", "released"}
    entry = AuditEntry.objects.get(action="account.updated", account=account)
    assert entry.changes["low_balance_threshold"] == [None, "25.0000"]
    assert entry.changes["e-mail: Suspended: renewal failed"] == ["yes", "no"]
    assert entry.actor_id == customer_user.pk

    customer_client.post(reverse("notices:settings"), settings_post("", suspended="in_app"))  # alert off, released back
    assert Account.objects.get(pk=account.pk).low_balance_threshold is None
    assert list(EmailOptOut.objects.filter(account=account).values_list("kind", flat=True)) == ["suspended"]
    customer_client.post(reverse("notices:settings"), settings_post("", suspended="in_app"))  # nothing changed
    assert AuditEntry.objects.filter(action="account.updated", account=account).count() == 2


@pytest.mark.parametrize("typed, error", [
    ("-1", "Enter 0 or more (leave it empty for no alert)."),
    ("1e3", "Enter an amount in plain digits, e.g. 5 or 5.0000."),
    ("1.00001", "Ensure that there are no more than 4 decimal places."),
])
def test_a_bad_threshold_is_refused_next_to_the_field_and_nothing_saved(customer_client, customer_user, typed, error):
    response = customer_client.post(reverse("notices:settings"), settings_post(typed, suspended="in_app"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"low_balance_threshold": [error]}
    html = response.content.decode()
    assert f'id="error_low_balance_threshold">{error}' in html.replace("&#x27;", "'")
    assert f'value="{typed}"' in html and 'id="id_delivery_suspended_1" value="in_app" checked' in html  # as typed
    assert Account.objects.get(pk=customer_user.account_id).low_balance_threshold is None
    assert not EmailOptOut.objects.exists() and not AuditEntry.objects.filter(action="account.updated").exists()


def test_an_empty_post_is_refused_not_read_as_no_e_mail(customer_client):
    response = customer_client.post(reverse("notices:settings"), {})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {f"delivery_{kind.value}" for kind in KINDS}
    assert not EmailOptOut.objects.exists()

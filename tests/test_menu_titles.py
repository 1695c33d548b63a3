"""Issue 17: every menu item is named after the page it opens: the page's title and heading
begin with the item's words (the admin's "Revenue assurance" opens the billing audit, "Audit
trail" the audit trail)."""

import re

import pytest
from django.urls import reverse

NAV_LINK = re.compile(r'<a class="nav-link[^"]*" href="([^"]+)">([^<]+)</a>')


def _menu(html: str) -> list[tuple[str, str]]:
    return NAV_LINK.findall(html)


def _title_and_heading(html: str) -> tuple[str, str]:
    title = re.search(r"<title>(.*?) · DID Portal</title>", html, re.S).group(1).strip()
    heading = re.sub(r"<[^>]+>", "", re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)).strip()
    return title, heading


def _check_every_item(client, start: str) -> list[str]:
    items = _menu(client.get(start).content.decode())
    assert items, "no menu found"
    for href, label in items:
        response = client.get(href)
        assert response.status_code == 200, href
        title, heading = _title_and_heading(response.content.decode())
        assert title.startswith(label), (label, title)
        assert heading.startswith(label), (label, heading)
    return [label for _, label in items]


@pytest.mark.django_db
def test_admin_menu_items_match_their_pages(admin_client):
    labels = _check_every_item(admin_client, reverse("dids:list"))
    assert "Audit" not in labels
    assert "Revenue assurance" in labels and "Audit trail" in labels


@pytest.mark.django_db
def test_admin_menu_names_point_where_they_say(admin_client):
    items = dict((label, href) for href, label in _menu(admin_client.get(reverse("dids:list")).content.decode()))
    assert items["Revenue assurance"] == reverse("billing:audit")
    assert items["Audit trail"] == reverse("audit:list")


@pytest.mark.django_db
def test_audit_trail_item_is_highlighted_on_its_page(admin_client):
    html = admin_client.get(reverse("audit:list")).content.decode()
    assert re.findall(r'class="nav-link active"[^>]*>([^<]+)</a>', html) == ["Audit trail"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["reseller_client", "customer_client"])
def test_account_menu_items_match_their_pages(request, who):
    client = request.getfixturevalue(who)
    labels = _check_every_item(client, reverse("resellers:dids"))
    assert ("Customers" in labels) == (who == "reseller_client")


@pytest.mark.django_db
@pytest.mark.parametrize("who, start", [("admin_client", "dids:list"), ("reseller_client", "resellers:dids"),
                                        ("customer_client", "resellers:dids")])
def test_user_menu_items_match_their_pages(request, who, start):
    client = request.getfixturevalue(who)
    html = client.get(reverse(start)).content.decode()
    items = re.findall(r'<a class="dropdown-item[^"]*" href="([^"]+)">([^<]+)</a>', html)
    assert [label for _, label in items] == ["Change password", "Two-factor login", "API tokens", "Webhooks"]
    for href, label in items:
        title, heading = _title_and_heading(client.get(href).content.decode())
        assert title.startswith(label) and heading.startswith(label), (label, title, heading)

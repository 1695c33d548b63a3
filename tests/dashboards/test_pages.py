"""The home page of each role: the right dashboard, its links to the lists behind each figure,
only the viewer's own figures, and nothing the CSP would refuse."""

import re

import pytest
from django.urls import reverse

from accounts.models import Account
from tests.factories import make_admin

HOME = reverse("home")


def page(client, user):
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response, response.content.decode()


def figure_link(html: str, testid: str) -> str:
    match = re.search(rf'href="([^"]*)" data-testid="figure-{testid}"', html)
    assert match, f"no figure {testid}"
    return match.group(1).replace("&amp;", "&")


def test_anonymous_goes_to_the_login_page(client, db):
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"] == reverse("login")


def test_admin_dashboard_figures_link_to_their_lists(client, dash):
    response, html = page(client, make_admin())
    assert [t.name for t in response.templates][0] == "dashboards/admin.html"
    links = {name: figure_link(html, name) for name in
             ("dids-free", "dids-sold", "dids-suspended", "dids-inactive", "calls-today", "low-balance")}
    assert links == {
        "dids-free": reverse("dids:list") + "?holder=none&status=active",
        "dids-sold": reverse("billing:margins"),
        "dids-suspended": reverse("billing:audit"),
        "dids-inactive": reverse("dids:list") + "?status=inactive",
        "calls-today": reverse("calls:list"),
        "low-balance": reverse("manage:list"),
    }
    for url in links.values():  # each list behind a figure opens
        assert client.get(url).status_code == 200
    assert re.search(r'data-testid="value-dids-free">2<', html)
    assert re.search(r'data-testid="value-dids-sold">4<', html)
    assert 'data-testid="revenue-this">56.0000<' in html and 'data-testid="margin-this">51.7500<' in html
    assert f'href="{reverse("billing:account", args=[dash.r2.account_id])}">R2 Other<' in html  # low balance
    assert 'data-testid="chart-sold-per-day"' in html and 'data-testid="chart-revenue-per-month"' in html


def test_reseller_dashboard_is_its_own_tree_only(client, dash):
    response, html = page(client, dash.r1)
    assert [t.name for t in response.templates][0] == "dashboards/reseller.html"
    assert figure_link(html, "numbers") == reverse("resellers:dids")
    assert figure_link(html, "customers") == reverse("customers:list")
    assert figure_link(html, "balance") == reverse("billing:statement")
    assert figure_link(html, "margin-month") == reverse("billing:my_margins")
    assert re.search(r'data-testid="value-numbers">2<', html)
    assert re.search(r'data-testid="value-customers">1<', html)
    assert re.search(r'data-testid="value-balance">995.7500<', html)
    assert 'data-testid="chart-margin-per-month"' in html
    other = Account.objects.get(pk=dash.r2.account_id)
    for foreign in (other.name, other.number, "12025550103", "12025550107", "56.0000"):
        assert foreign not in html  # another reseller's account and numbers, the operator's revenue


def test_customer_dashboard_is_its_own_only(client, dash):
    response, html = page(client, dash.c)
    assert [t.name for t in response.templates][0] == "dashboards/customer.html"
    assert figure_link(html, "balance") == reverse("billing:statement")
    assert figure_link(html, "numbers") == reverse("resellers:dids")
    assert figure_link(html, "calls-month") == reverse("calls:mine")
    assert re.search(r'data-testid="value-balance">68.2500<', html)
    assert re.search(r'data-testid="value-calls-month">1<', html)
    for foreign in ("R2 Other", "12025550102", "12025550103", "995.7500", "chart-margin"):
        assert foreign not in html  # R1's own numbers and balance, another tree, a reseller's chart


@pytest.mark.parametrize("role", ["admin", "r1", "c"])
def test_home_takes_no_post(client, dash, role):
    client.force_login(make_admin() if role == "admin" else getattr(dash, role))
    assert client.post(HOME).status_code == 405


@pytest.mark.parametrize("role", ["admin", "r1", "c"])
def test_no_inline_style_or_script_on_a_dashboard(client, dash, role):
    _, html = page(client, make_admin() if role == "admin" else getattr(dash, role))
    assert not re.search(r"\sstyle\s*=", html, re.I)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html, re.I)  # only the Bootstrap bundle, from a file
    assert not re.search(r"\son[a-z]+\s*=", html, re.I)  # no event handler attributes


def test_a_reseller_cannot_open_the_admin_pages_behind_the_figures(client, dash):
    client.force_login(dash.r1)
    for url in (reverse("dids:list"), reverse("billing:margins"), reverse("calls:list")):
        assert client.get(url).status_code == 403

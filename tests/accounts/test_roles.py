"""Login and roles: anonymous users go to login, non-admins get 403 on admin pages."""

import pytest
from django.urls import reverse

from accounts.models import Account
from billing.ledger.funds import add_funds
from tests.factories import PASSWORD, DIDFactory

ADMIN_PAGES = [
    ("dids:list", []),
    ("dids:create", []),
    ("dids:edit", ["did"]),
    ("dids:delete", ["did"]),
    ("dids:provider_list", []),
    ("dids:provider_create", []),
    ("dids:provider_edit", ["provider"]),
    ("dids:provider_toggle", ["provider"]),
]


def _url(name, args, did, provider):
    values = {"did": did.pk, "provider": provider.pk}
    return reverse(name, args=[values[a] for a in args])


@pytest.fixture
def did(db):
    return DIDFactory()


@pytest.mark.parametrize("name,args", ADMIN_PAGES)
def test_anonymous_is_sent_to_login(client, did, default_provider, name, args):
    url = _url(name, args, did, default_provider)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("name,args", ADMIN_PAGES)
@pytest.mark.parametrize("who", ["reseller_client", "customer_client"])
def test_reseller_and_customer_get_403_on_admin_pages(request, did, default_provider, name, args, who):
    client = request.getfixturevalue(who)
    url = _url(name, args, did, default_provider)
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "hijack", "monthly_fee": "0"}).status_code == 403
    did.refresh_from_db()
    default_provider.refresh_from_db()
    assert default_provider.name == "default provider"


def test_admin_pages_open_for_admin(admin_client, did, default_provider):
    for name, args in ADMIN_PAGES:
        assert admin_client.get(_url(name, args, did, default_provider)).status_code == 200, name


def test_home_is_each_roles_dashboard(client, admin_user, reseller_user):
    assert client.get("/").url == reverse("login")
    client.force_login(admin_user)
    assert client.get("/").templates[0].name == "dashboards/admin.html"
    client.force_login(reseller_user)
    assert client.get("/").templates[0].name == "dashboards/reseller.html"


def test_account_pages_are_not_for_admin(admin_client):
    assert admin_client.get(reverse("resellers:account")).status_code == 403


def test_login_with_password_and_header_shows_account(client, reseller_user, admin_user):
    add_funds(account_id=reseller_user.account_id, amount=75, by=admin_user)
    response = client.post(reverse("login"), {"username": reseller_user.username, "password": PASSWORD}, follow=True)
    html = response.content.decode()
    assert reseller_user.account.number in html
    assert "Reseller A" in html
    assert "75.0000" in html


def test_wrong_password_is_refused(client, reseller_user):
    response = client.post(reverse("login"), {"username": reseller_user.username, "password": "nope"})
    assert response.status_code == 200
    assert "Wrong username or password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_suspended_account_cannot_log_in_and_its_session_ends(client, reseller_user):
    response = client.post(reverse("login"), {"username": reseller_user.username, "password": PASSWORD})
    assert response.status_code == 302
    Account.objects.filter(pk=reseller_user.account_id).update(status=Account.Status.SUSPENDED)
    response = client.get(reverse("resellers:account"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.logout()
    response = client.post(reverse("login"), {"username": reseller_user.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_createsuperuser_makes_a_working_portal_admin(client, db):
    from django.core.management import call_command

    call_command("createsuperuser", username="boss", email="b@example.com", interactive=False)
    from accounts.models import User

    user = User.objects.get(username="boss")
    user.set_password(PASSWORD)
    user.save()
    assert user.role == "admin"
    client.post(reverse("login"), {"username": "boss", "password": PASSWORD})
    assert client.get(reverse("dids:list")).status_code == 200


def test_logout_is_post_only(reseller_client):
    assert reseller_client.get(reverse("logout")).status_code == 405
    assert reseller_client.post(reverse("logout")).status_code == 302
    assert reseller_client.get(reverse("resellers:account")).status_code == 302

"""Only a switch with a live token gets an answer; nobody else learns anything about a number."""

import base64

import pytest
from django.urls import reverse

from routing.models import SwitchToken
from routing.tokens import create_token, revoke
from tests.routing.conftest import NUMBER


def _basic(password, user="fs1"):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize("headers", [
    {}, {"HTTP_AUTHORIZATION": "Bearer "}, {"HTTP_AUTHORIZATION": "Bearer not-the-token"},
    {"HTTP_AUTHORIZATION": "Token x"}, {"HTTP_X_SWITCH_TOKEN": "wrong"}, {"HTTP_AUTHORIZATION": _basic("wrong")},
    {"HTTP_AUTHORIZATION": "Basic !!!not-base64"}, {"HTTP_AUTHORIZATION": "Bearer " + "x" * 5000},
])
def test_missing_or_wrong_token_is_401_and_says_nothing_about_the_number(client, chain, token, headers):
    response = client.get(reverse("routing:lookup"), {"number": NUMBER}, **headers)
    assert response.status_code == 401
    assert response.json() == {"error": "A valid switch token is required."}
    assert response["WWW-Authenticate"] == 'Bearer realm="routing"'


def test_revoked_token_is_401(ask, chain, token):
    assert ask(NUMBER).status_code == 200
    revoke(SwitchToken.objects.get())
    assert ask(NUMBER).status_code == 401


def test_every_way_of_presenting_the_token_works(client, chain, token):
    url = reverse("routing:lookup")
    for headers in ({"HTTP_AUTHORIZATION": f"Bearer {token}"}, {"HTTP_AUTHORIZATION": f"bearer  {token}"},
                    {"HTTP_X_SWITCH_TOKEN": token}, {"HTTP_AUTHORIZATION": _basic(token)},
                    {"HTTP_AUTHORIZATION": _basic(token, user="")}):
        assert client.get(url, {"number": NUMBER}, **headers).json()["allow"] is True, headers


def test_another_switchs_token_works_and_each_is_revoked_alone(ask, client, chain, token):
    _, second = create_token("fs2.example.net")
    revoke(SwitchToken.objects.get(name="fs1.example.net"))
    assert ask(NUMBER).status_code == 401
    assert ask(NUMBER, HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200


@pytest.mark.parametrize("who", ["admin_client", "reseller_client", "customer_client"])
def test_a_portal_login_is_not_a_token(request, chain, who):
    client = request.getfixturevalue(who)
    response = client.get(reverse("routing:lookup"), {"number": NUMBER})
    assert response.status_code == 401
    assert b"sip:" not in response.content and b"allow" not in response.content


def test_the_freeswitch_view_needs_the_token_too(client, chain, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("routing:freeswitch"), {"Caller-Destination-Number": NUMBER})
    assert response.status_code == 401 and b"pbx" not in response.content
    assert response["WWW-Authenticate"] == 'Basic realm="routing"'

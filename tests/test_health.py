"""GET /healthz for the load balancer (core/health.py)."""

import json
import logging
import socket

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

OK = {"status": "ok", "database": "ok"}
DOWN = {"status": "error", "database": "unreachable"}


def test_healthz_is_ok_after_one_select_and_nothing_else(client, db, django_assert_num_queries):
    with django_assert_num_queries(1) as queries:
        response = client.get("/healthz")
    assert queries.captured_queries[0]["sql"] == "SELECT 1"
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == OK
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies  # no session, no CSRF cookie
    assert reverse("healthz") == "/healthz"


def test_healthz_needs_no_login_and_ignores_a_session(client, reseller_user, django_assert_num_queries):
    client.force_login(reseller_user)  # a browser with a session cookie opens it: the session is not read
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200 and json.loads(response.content) == OK


def test_healthz_answers_a_load_balancer_probing_over_http_with_its_own_address(client, db, settings):
    """The production profile redirects HTTP to HTTPS and refuses unknown hosts; a load
    balancer probes http://10.0.3.7:8000/healthz, so the probe is answered before both."""
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    assert client.get("/dids/", HTTP_HOST="10.0.3.7:8000").status_code == 400  # the host check is on
    assert client.get("/dids/", HTTP_HOST="portal.example.com").status_code == 301  # so is the redirect
    response = client.get("/healthz", HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200 and json.loads(response.content) == OK
    assert client.head("/healthz", HTTP_HOST="10.0.3.7:8000").status_code == 200


def test_healthz_only_reads(client, db):
    client.handler.enforce_csrf_checks = True
    assert client.post("/healthz").status_code == 405  # not 403: CSRF is never involved
    assert client.put("/healthz").status_code == 405


def test_healthz_is_503_when_the_database_fails(client, db, monkeypatch, caplog):
    def refuse():
        raise OperationalError('connection to server at "db.internal" (10.0.0.9), port 5432 failed: refused')

    with monkeypatch.context() as patch, caplog.at_level(logging.ERROR, logger="core.health"):
        patch.setattr(connection, "ensure_connection", refuse)  # undone before the test's own teardown
        response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content) == DOWN  # the reason is logged, never shown
    assert b"10.0.0.9" not in response.content and "10.0.0.9" in caplog.text


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_healthz_is_503_while_postgresql_is_unreachable_and_ok_again_after(client):
    """A real outage: the connection is closed and the next one goes to a port where nothing listens."""
    original = connection.settings_dict["PORT"]
    try:
        connection.settings_dict["PORT"] = dead_port()
        connection.close()
        response = client.get("/healthz")
        assert response.status_code == 503 and json.loads(response.content) == DOWN
        body = response.content.decode().lower()
        assert "postgres" not in body and "5432" not in body and "version" not in body
    finally:
        connection.settings_dict["PORT"] = original
        connection.close()
    response = client.get("/healthz")
    assert response.status_code == 200 and json.loads(response.content) == OK

"""Logins with API tokens, and a client that sends one."""

from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Account
from api.tokens import create_token
from billing.ledger.funds import add_funds
from tests.factories import make_account_user, make_admin


class Api:
    """A test client that sends ``Authorization: Bearer <secret>`` (and JSON bodies)."""

    def __init__(self, secret: str | None = None, **extra):
        self.client = Client(**extra)
        self.secret = secret

    def _headers(self, headers):
        if self.secret:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.secret}")
        return headers

    def get(self, path, data=None, **headers):
        return self.client.get(path, data, **self._headers(headers))

    def post(self, path, data=None, **headers):
        return self.client.post(path, data if data is not None else {}, content_type="application/json",
                                **self._headers(headers))

    def patch(self, path, data=None, **headers):
        return self.client.patch(path, data if data is not None else {}, content_type="application/json",
                                 **self._headers(headers))

    def put(self, path, data=None, **headers):
        return self.client.put(path, data if data is not None else {}, content_type="application/json",
                               **self._headers(headers))

    def delete(self, path, **headers):
        return self.client.delete(path, **self._headers(headers))


@pytest.fixture
def people(db):
    """An admin, reseller R with customer C under it, and another reseller O (another tenant)."""
    admin = make_admin("api-admin")
    reseller = make_account_user(Account.Kind.RESELLER, name="API Reseller", credit_limit=Decimal("50"))
    customer = make_account_user(Account.Kind.CUSTOMER, parent=reseller.account, name="API Customer")
    other = make_account_user(Account.Kind.RESELLER, name="Other Reseller")
    add_funds(account_id=reseller.account_id, amount=Decimal("125.5"), description="API test funds")
    add_funds(account_id=other.account_id, amount=Decimal("7"), description="API test funds")
    return {"admin": admin, "reseller": reseller, "customer": customer, "other": other}


@pytest.fixture
def secrets_of(people):
    """A live token for each of ``people``: {role: secret}."""
    return {role: create_token(user=user, name=f"{role} token")[1] for role, user in people.items()}


@pytest.fixture
def api_as(secrets_of):
    return lambda role: Api(secrets_of[role])

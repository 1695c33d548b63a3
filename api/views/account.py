"""GET /api/v1/account/: the token's own account (for an admin's token: the operator)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from api.serializers import AccountSerializer
from api.views.base import ApiView

OPERATOR_NAME = "Operator"


def account_of(user) -> dict:
    """The account fields of the login a token acts as (already loaded with it: no query)."""
    if user.account_id is None:  # an admin: the operator, which has no account row
        return {"number": None, "name": OPERATOR_NAME, "kind": "operator", "balance": None, "credit_limit": None,
                "status": "active", "currency": settings.PORTAL_CURRENCY, "login": user.get_username()}
    account = user.account
    return {"number": account.number, "name": account.name, "kind": account.kind, "balance": account.balance,
            "credit_limit": account.credit_limit, "status": account.status,
            "currency": str(account.balance.currency), "login": user.get_username()}


class AccountView(ApiView):
    """The account the token acts for: a reseller's or a customer's own; for an admin's token the
    operator (kind "operator", no number, balance or credit limit: null). Money as strings with
    4 decimal places."""

    @extend_schema(operation_id="account_retrieve", responses=AccountSerializer, tags=["account"],
                   summary="The token's account: number, name, balance, credit limit, status, currency")
    def get(self, request):
        return Response(AccountSerializer(account_of(request.user)).data)

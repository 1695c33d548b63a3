"""A reseller's customers and sub-resellers, from code: /api/v1/customers/ (list, create),
/api/v1/customers/{account_number}/ (read, change) and .../payments/ (Record payment).

The rules are the Customers pages' (resellers/views/customers/): resellers only (a customer's
and an admin's token: 403; the admin has /api/v1/admin/accounts/), the accounts directly below
the reseller (accounts/permissions.py ``managed_accounts``: any other number answers 404), the
same forms and services (accounts.services account_create / account_update / account_set_status,
billing.ledger.funds.record_payment) and so the same audit rows, with source API."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.forms_admin import AccountSearchForm
from accounts.models import Account
from accounts.permissions import managed_accounts
from accounts.services import account_create, account_set_status, account_update
from api.exceptions import Problem
from api.idempotency import HEADER, key_of, once
from api.permissions import ResellerOnly
from api.serializers_accounts import (AccountEditInput, AccountOutSerializer, CustomerCreateInput, EntryOutSerializer,
                                      PaymentInput)
from api.views.base import ApiListView, ApiView
from billing.ledger.funds import record_payment
from core.locking import lock_accounts

TAG = ["customers"]
NUMBER = OpenApiParameter("account_number", str, OpenApiParameter.PATH, description="The account number (10 digits).")
KEY = OpenApiParameter(HEADER, str, OpenApiParameter.HEADER, required=True,
                       description="A key of your choosing (e.g. a UUID), new for each payment: the same key and "
                                   "body answer the first answer again and post nothing; with another body: 422.")
NOT_A_PARENT = "Enter a reseller's account number, or operator."
FILTERS = [
    OpenApiParameter("q", str, description="Account number or name contains."),
    OpenApiParameter("kind", str, enum=Account.Kind.values),
    OpenApiParameter("status", str, enum=Account.Status.values),
]


# --- shared with the admin's accounts (api/views/admin.py) ----------------------------------------

def searched(request, queryset, *, with_parent: bool = False):
    """``queryset`` filtered by the account list's search panel (accounts/forms_admin.py
    AccountSearchForm: q, kind, status; the admin's also parent, by account number or
    "operator"). A bad value is 422 with the form's message."""
    params = {name: request.query_params.get(name, "") for name in ("q", "kind", "status")}
    params["parent"] = ""
    if with_parent:
        parent = request.query_params.get("parent", "")
        if parent and parent != AccountSearchForm.OPERATOR:
            # The panel's dropdown holds ids; the API names a parent by its account number.
            found = Account.objects.filter(number=parent, kind=Account.Kind.RESELLER).values_list("pk", flat=True)
            if not found:
                raise Problem(code="validation", errors={"parent": [NOT_A_PARENT]})
            parent = str(found[0])
        params["parent"] = parent
    form = AccountSearchForm(params)
    if not form.is_valid():
        raise Problem(code="validation", errors={name: list(messages) for name, messages in form.errors.items()})
    return form.filter(queryset)


def change_account(account_id: int, body) -> Account:
    """PATCH an account: Edit Account's fields (those not sent keep their value) and its status,
    in one transaction on the locked row, through the pages' services."""
    with transaction.atomic():
        account = lock_accounts(Account.objects.filter(pk=account_id))[account_id]
        serializer = AccountEditInput(data=body, base=AccountEditInput.base_of(account), form_kwargs={"account": account})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if set(body) & {"name", "email", "credit_limit"}:
            account_update(account_id=account_id, name=data["name"], email=data["email"],
                           credit_limit=data["credit_limit"])
        if "status" in body:
            account_set_status(account_id=account_id, status=data["status"] or "")
    return Account.objects.select_related("user", "parent").get(pk=account_id)


# --- the endpoints -------------------------------------------------------------------------------

class ResellerApi:
    permission_classes = [IsAuthenticated, ResellerOnly]

    def customers(self):
        """The accounts the token's reseller manages (its direct customers and sub-resellers)."""
        return managed_accounts(self.request.user).select_related("user", "parent")

    def customer(self, account_number: str) -> Account:
        return get_object_or_404(self.customers(), number=account_number)


class CustomerListView(ResellerApi, ApiListView):
    """The reseller's customers and sub-resellers, by account number."""

    serializer_class = AccountOutSerializer
    ordering = "number"

    def get_queryset(self):
        return searched(self.request, self.customers())

    @extend_schema(operation_id="customers_list", tags=TAG, parameters=FILTERS,
                   summary="Your customers and sub-resellers (the accounts directly below you)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="customers_create", tags=TAG, request=CustomerCreateInput,
                   responses={201: AccountOutSerializer},
                   summary="Create a customer or a sub-reseller with its login, directly below you")
    def post(self, request):
        serializer = CustomerCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = account_create(name=data["name"], kind=data["kind"], parent=request.user.account,
                                 username=data["username"], password=data["password"], email=data["email"],
                                 credit_limit=data["credit_limit"])
        account = self.customer(account.number)
        return Response(AccountOutSerializer(account).data, status=201,
                        headers={"Location": reverse("api:customer", args=[account.number])})


class CustomerView(ResellerApi, ApiView):
    @extend_schema(operation_id="customers_retrieve", tags=TAG, parameters=[NUMBER],
                   responses=AccountOutSerializer, summary="One of your customers or sub-resellers")
    def get(self, request, account_number):
        return Response(AccountOutSerializer(self.customer(account_number)).data)

    @extend_schema(operation_id="customers_partial_update", tags=TAG, parameters=[NUMBER], request=AccountEditInput,
                   responses=AccountOutSerializer,
                   summary="Change its name, e-mail, credit limit or status (suspend, reactivate)")
    def patch(self, request, account_number):
        account = self.customer(account_number)
        return Response(AccountOutSerializer(change_account(account.pk, request.data)).data)


class CustomerPaymentView(ResellerApi, ApiView):
    @extend_schema(operation_id="customers_payments_create", tags=TAG, parameters=[NUMBER, KEY],
                   request=PaymentInput,
                   responses={201: OpenApiResponse(EntryOutSerializer, description="Recorded (or, for a retry with "
                                                   "the same key, recorded before: header Idempotent-Replayed: true)")},
                   summary="Record a payment the customer made to you: its balance goes up by the amount")
    def post(self, request, account_number):
        account = self.customer(account_number)
        key_of(request)  # 422 without one, before anything else
        serializer = PaymentInput(data=request.data, form_kwargs={"account_number": account.number})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def record(key):
            entry = record_payment(account_id=account.pk, amount=data["amount"], reference=data["reference"],
                                   by=request.user, idempotency_key=f"payment:{key}")
            return 201, EntryOutSerializer(entry).data

        # Once per key of the reseller's (api/idempotency.py, as a purchase); the ledger entry's
        # unique key (the page's guard) is the second line.
        return once(request, request.user.account_id, record)

"""The admin's endpoints (an admin's token acts as the operator; a reseller's and a customer's get
403 on every one, before any object is looked up):

- /api/v1/admin/dids/ and /api/v1/admin/dids/{number}/: the DID catalogue; create and edit a
  product with Create Product's form and checks (dids/forms.py DIDForm) saved by the page's
  service (billing.prices.book.save_product: the catalogue's audit, a changed price recorded and
  told to its holder as every price change);
- /api/v1/admin/accounts/ and /api/v1/admin/accounts/{account_number}/: every account, created
  and changed with the admin's account forms and services;
- /api/v1/admin/accounts/{account_number}/funds/: Add funds (a refill) or an Adjustment (with a
  reason), once per Idempotency-Key (api/idempotency.py).
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.models import Account
from accounts.permissions import managed_accounts
from accounts.services import account_create
from api.exceptions import Problem
from api.idempotency import HEADER, key_of, once
from api.permissions import AdminOnly
from api.serializers_accounts import (ADJUSTMENT, AccountCreateInput, AccountEditInput, AccountOutSerializer,
                                      EntryOutSerializer, FundsInput)
from api.serializers_products import ProductInput, ProductOutSerializer, ProductPatchInput, ProductWriteAnswer
from api.views.base import ApiListView, ApiView
from api.views.customers import FILTERS, NUMBER, change_account, searched
from api.views.dids import e164_of
from billing.ledger.funds import add_funds, adjust
from billing.prices.book import save_product
from dids.filters import DIDSearchForm
from dids.models import DID, Provider
from dids.numbers import country_mismatch, mismatch_warning

DIDS_TAG, ACCOUNTS_TAG = ["admin: DIDs"], ["admin: accounts"]
DID_NUMBER = OpenApiParameter("number", str, OpenApiParameter.PATH,
                              description="The DID in E.164 (+18555801802; the + may be left out).")
DID_FILTERS = [
    OpenApiParameter("number", str, description="Digits the number contains (3 or more), or starts with "
                                                "(match=starts)."),
    OpenApiParameter("match", str, enum=["contains", "starts"]),
    OpenApiParameter("country", str, description="ISO 3166 code, e.g. US."),
    OpenApiParameter("city", str), OpenApiParameter("province", str),
    OpenApiParameter("provider", str, description="The provider's name."),
    OpenApiParameter("status", str, enum=DID.Status.values),
    OpenApiParameter("holder", str, description="Holder's account number or name; none: unsold."),
]
FUNDS_KEY = OpenApiParameter(HEADER, str, OpenApiParameter.HEADER, required=True,
                             description="A key of your choosing (e.g. a UUID), new for each refill or adjustment: "
                                         "the same key and body answer the first answer again and post nothing; "
                                         "with another body: 422.")


class AdminApi:
    permission_classes = [IsAuthenticated, AdminOnly]


# --- DIDs ----------------------------------------------------------------------------------------

def did_or_404(number: str) -> DID:
    """The DID of a path's number (E.164, "+" as %2B, literal or left out: api/views/dids.py e164_of), or 404."""
    return get_object_or_404(DID.objects.select_related("provider", "holder"), number=e164_of(number))


def saved(did: DID, by) -> list[str]:
    """Save a product as the page does; the page's warnings (below cost; a country that does not
    use the number's calling code)."""
    warnings = []
    warning = save_product(did=did, by=by)
    if warning:
        warnings.append(warning)
    if country_mismatch(did.number, did.country.code):
        warnings.append(f"Note: {mismatch_warning(did.number, did.country.code)} Saved as entered.")
    return warnings


class AdminDIDListView(AdminApi, ApiListView):
    """The DID catalogue, by number."""

    serializer_class = ProductOutSerializer
    ordering = "number"

    def get_queryset(self):
        params = {name: self.request.query_params.get(name, "")
                  for name in ("number", "match", "country", "city", "province", "status", "holder")}
        provider = self.request.query_params.get("provider", "")
        if provider:
            found = Provider.objects.filter(name__iexact=provider).values_list("pk", flat=True)
            params["provider"] = str(found[0]) if found else f"name {provider}"
        form = DIDSearchForm(params)
        if not form.is_valid():
            raise Problem(code="validation", errors={name: list(messages) for name, messages in form.errors.items()})
        return form.filter(DID.objects.select_related("provider", "holder"))

    @extend_schema(operation_id="admin_dids_list", tags=DIDS_TAG, parameters=DID_FILTERS,
                   summary="The DID catalogue (every product, sold or not)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="admin_dids_create", tags=DIDS_TAG, request=ProductInput,
                   responses={201: ProductWriteAnswer}, summary="Create Product: one DID with its prices and rates")
    def post(self, request):
        serializer = ProductInput(data=request.data, form_kwargs={"instance": DID()})
        serializer.is_valid(raise_exception=True)
        did = serializer.form.save(commit=False)
        warnings = saved(did, request.user)
        did = did_or_404(did.number)
        return Response(ProductWriteAnswer(did, context={"warnings": warnings}).data, status=201,
                        headers={"Location": reverse("api:admin_did", args=[did.number])})


class AdminDIDView(AdminApi, ApiView):
    @extend_schema(operation_id="admin_dids_retrieve", tags=DIDS_TAG, parameters=[DID_NUMBER],
                   responses=ProductOutSerializer, summary="One DID product")
    def get(self, request, number):
        return Response(ProductOutSerializer(did_or_404(number)).data)

    @extend_schema(operation_id="admin_dids_partial_update", tags=DIDS_TAG, parameters=[DID_NUMBER],
                   request=ProductPatchInput, responses=ProductWriteAnswer,
                   summary="Edit Product: the fields sent change, the others keep their value")
    def patch(self, request, number):
        did = did_or_404(number)
        serializer = ProductPatchInput(data=request.data, form_kwargs={"instance": did},
                                       base=ProductPatchInput.base_of(did))
        serializer.is_valid(raise_exception=True)
        did = serializer.form.save(commit=False)
        warnings = saved(did, request.user)
        return Response(ProductWriteAnswer(did_or_404(did.number), context={"warnings": warnings}).data)


# --- accounts ------------------------------------------------------------------------------------

class AdminAccounts(AdminApi):
    def accounts(self):
        return managed_accounts(self.request.user).select_related("user", "parent")

    def account(self, account_number: str) -> Account:
        return get_object_or_404(self.accounts(), number=account_number)


class AdminAccountListView(AdminAccounts, ApiListView):
    """Every account, by account number."""

    serializer_class = AccountOutSerializer
    ordering = "number"

    def get_queryset(self):
        return searched(self.request, self.accounts(), with_parent=True)

    @extend_schema(operation_id="admin_accounts_list", tags=ACCOUNTS_TAG,
                   parameters=FILTERS + [OpenApiParameter("parent", str, description="A reseller's account number, "
                                                                                    "or operator.")],
                   summary="Every account")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="admin_accounts_create", tags=ACCOUNTS_TAG, request=AccountCreateInput,
                   responses={201: AccountOutSerializer}, summary="Create Account: an account with its login")
    def post(self, request):
        serializer = AccountCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = account_create(name=data["name"], kind=data["kind"], parent=data["parent"],
                                 username=data["username"], password=data["password"], email=data["email"],
                                 credit_limit=data["credit_limit"], status=data["status"])
        account = self.account(account.number)
        return Response(AccountOutSerializer(account).data, status=201,
                        headers={"Location": reverse("api:admin_account", args=[account.number])})


class AdminAccountView(AdminAccounts, ApiView):
    @extend_schema(operation_id="admin_accounts_retrieve", tags=ACCOUNTS_TAG, parameters=[NUMBER],
                   responses=AccountOutSerializer, summary="One account")
    def get(self, request, account_number):
        return Response(AccountOutSerializer(self.account(account_number)).data)

    @extend_schema(operation_id="admin_accounts_partial_update", tags=ACCOUNTS_TAG, parameters=[NUMBER],
                   request=AccountEditInput, responses=AccountOutSerializer,
                   summary="Change its name, e-mail, credit limit or status (suspend, reactivate)")
    def patch(self, request, account_number):
        account = self.account(account_number)
        return Response(AccountOutSerializer(change_account(account.pk, request.data)).data)


class AdminFundsView(AdminAccounts, ApiView):
    @extend_schema(operation_id="admin_accounts_funds_create", tags=ACCOUNTS_TAG, parameters=[NUMBER, FUNDS_KEY],
                   request=FundsInput,
                   responses={201: OpenApiResponse(EntryOutSerializer, description="Posted (or, for a retry with "
                                                   "the same key, posted before: header Idempotent-Replayed: true)")},
                   summary="Add funds (a refill) or post an adjustment with a reason")
    def post(self, request, account_number):
        account = self.account(account_number)
        key_of(request)  # 422 without one, before anything else
        serializer = FundsInput(data=request.data, form_kwargs={"account_id": account.pk})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def post(key):
            if data["kind"] == ADJUSTMENT:
                entry = adjust(account_id=account.pk, amount=data["amount"], reason=data["reason"], by=request.user,
                               idempotency_key=f"adjust:{key}")
            else:
                entry = add_funds(account_id=account.pk, amount=data["amount"], by=request.user,
                                  description=data["description"].strip(), idempotency_key=f"refill:{key}")
            return 201, EntryOutSerializer(entry).data

        # The operator has no account row: the keys are kept per account the money goes to
        # (api/idempotency.py); the ledger entry's unique key is the second line.
        return once(request, account.pk, post)

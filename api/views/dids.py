"""An account's own numbers: GET /api/v1/dids/ and /api/v1/dids/{number}/, and what the DIDs page
does with one: release it, route its calls, set its sell cost (resellers).

The same services as the pages: billing/subscriptions/release.py ``release_did``,
routing/destinations.py ``set_destination`` (after the Destination page's form), and Edit Info's
billing/prices/rate_book.py ``set_sell_cost_and_rates``. Every rule, lock, message and audit row
is theirs; this module reads the request and answers.

Who: a reseller's or a customer's token, about its own numbers (an active subscription). A number
it does not hold (another tenant's, sold long ago, never existed) is 404. An admin's token is 403:
the operator holds no numbers (its catalogue is /api/v1/admin/dids/)."""

import re

from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Subquery
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.exceptions import Problem
from api.serializers import StrictSerializer
from api.serializers_dids import (DestinationInput, HeldDIDSerializer, ReleaseAnswer, SellCostAnswer,
                                  SellCostInput)
from api.views.base import ApiListView, ApiView
from billing.models import Subscription
from billing.prices.book import NOT_A_BUYER, buyers_of, current_sell_cost
from billing.prices.rate_book import RatesRefused, set_sell_cost_and_rates
from billing.subscriptions.release import release_did
from dids.filters import number_contains
from dids.numbers import search_digits
from routing.destinations import set_destination
from routing.forms import DestinationForm

ACTIVE = Subscription.Status.ACTIVE
OPERATOR_HOLDS_NOTHING = ("The operator holds no numbers: its DIDs are at /api/v1/admin/dids/. "
                          "This endpoint is for reseller and customer tokens.")
CUSTOMERS_SELL_NOTHING = "A customer sells to nobody: it has no sell cost to set."
# A number in the path: E.164 with its '+' (sent as %2B) or the same digits without it.
_PATH_NUMBER = re.compile(r"^\+?([1-9][0-9]{1,14})$")

NUMBER_PARAMETER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH,
    description="The DID in E.164: '+18555801802' with the '+' URL-encoded as %2B, or the digits alone "
                "(18555801802).")


def own_account(request, refusal: str):
    """The token's account, or 403 for an admin's token (the operator)."""
    if request.user.account_id is None:
        raise PermissionDenied(refusal)
    return request.user.account


def e164_of(raw: str) -> str:
    """The path's number as stored (+18555801802), or 404."""
    match = _PATH_NUMBER.match(raw or "")
    if match is None:
        raise Http404("No such DID.")
    return "+" + match.group(1)


def held(account):
    """The DIDs page's rows: the account's active subscriptions with their DID, each with the
    account number it is sold on to (at most one: sub_one_buyer_per_seller). One query."""
    buyer = Subscription.objects.filter(parent=OuterRef("pk"), status=ACTIVE).values("account__number")[:1]
    return (Subscription.objects.filter(account=account, status=ACTIVE).select_related("did")
            .annotate(number=F("did__number"), sold_to_number=Subquery(buyer)))


def held_one(account, raw_number: str) -> Subscription:
    """The account's holding of the path's number, or 404 (not held, another's, no such DID)."""
    sub = held(account).filter(did__number=e164_of(raw_number)).first()
    if sub is None:
        raise Http404("You do not hold this DID.")
    return sub


def answer(request, sub, status=200) -> Response:
    return Response(HeldDIDSerializer(sub, context={"is_reseller": request.user.account.is_reseller}).data,
                    status=status)


def form_errors(form) -> serializers.ValidationError:
    """A page form's errors as the API's 422 (``__all__`` -> the problem's detail)."""
    errors = {("non_field_errors" if name == "__all__" else name): list(messages)
              for name, messages in form.errors.items()}
    return serializers.ValidationError(errors)


class DIDListView(ApiListView):
    """GET /api/v1/dids/: this account's numbers, by number."""

    serializer_class = HeldDIDSerializer
    ordering = "number"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view
            return Subscription.objects.none()
        subs = held(own_account(self.request, OPERATOR_HOLDS_NOTHING))
        digits = search_digits(self.request.query_params.get("number", ""))[:15]
        return number_contains(subs, digits, "did__number") if digits else subs

    def get_serializer_context(self):
        context = super().get_serializer_context()
        account = self.request.user.account
        context["is_reseller"] = bool(account and account.is_reseller)
        return context

    @extend_schema(operation_id="dids_list", tags=["dids"],
                   summary="This account's numbers: subscription, next renewal, status, destination",
                   parameters=[OpenApiParameter("number", OpenApiTypes.STR, description=(
                       "Only numbers containing these digits (as the DIDs page's search)."))])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DIDDetailView(ApiView):
    @extend_schema(operation_id="dids_retrieve", tags=["dids"], parameters=[NUMBER_PARAMETER],
                   responses=HeldDIDSerializer, summary="One of this account's numbers")
    def get(self, request, number):
        account = own_account(request, OPERATOR_HOLDS_NOTHING)
        return answer(request, held_one(account, number))


class DIDReleaseView(ApiView):
    @extend_schema(operation_id="dids_release", tags=["dids"], parameters=[NUMBER_PARAMETER], request=None,
                   responses=ReleaseAnswer,
                   summary="Release the number (as the DIDs page's Delete): no refund; refused while sold on")
    def post(self, request, number):
        account = own_account(request, OPERATOR_HOLDS_NOTHING)
        sub = held_one(account, number)
        StrictSerializer(data=request.data or {}).is_valid(raise_exception=True)  # no body: any field is 422
        shown = release_did(account_id=account.pk, did_id=sub.did_id, by=request.user)
        return Response(ReleaseAnswer({"number": sub.did.number, "released": True,
                                       "detail": f"Released {shown}. No refund is given."}).data)


class DIDDestinationView(ApiView):
    @extend_schema(operation_id="dids_destination_update", tags=["dids"], parameters=[NUMBER_PARAMETER],
                   request=DestinationInput, responses=HeldDIDSerializer,
                   summary="Where the number's calls go (the Destination page); call_type null clears it")
    def put(self, request, number):
        account = own_account(request, OPERATOR_HOLDS_NOTHING)
        sub = held_one(account, number)
        body = DestinationInput(data=request.data)
        body.is_valid(raise_exception=True)
        call_type = body.validated_data.get("call_type") or ""
        text = body.validated_data.get("destination") or ""
        if call_type or text.strip():  # the page's form: its checks and messages, then the service's
            form = DestinationForm({"call_type": call_type, "destination": text}, did_number=sub.did.number,
                                   did_country=sub.did.country.code)
            if not form.is_valid():
                raise form_errors(form)
            call_type, text = form.cleaned_data["call_type"], form.cleaned_data["destination"]
        else:  # the page's Clear
            call_type, text = "", ""
        set_destination(did_id=sub.did_id, account_id=account.pk, call_type=call_type, destination=text,
                        by=request.user)
        return answer(request, held_one(account, number))


# Edit Info's field names -> the API's.
SELL_FIELDS = {"sell_setup_fee": "setup_fee", "sell_price": "price", "buyer": "buyer"}


class DIDSellCostView(ApiView):
    @extend_schema(operation_id="dids_sell_cost_update", tags=["dids"], parameters=[NUMBER_PARAMETER],
                   request=SellCostInput, responses=SellCostAnswer,
                   summary="A reseller's sell cost for the number (Edit Info): for every buyer or one; "
                           "never below what it pays")
    def put(self, request, number):
        account = own_account(request, OPERATOR_HOLDS_NOTHING)
        if not account.is_reseller:
            raise PermissionDenied(CUSTOMERS_SELL_NOTHING)
        sub = held_one(account, number)
        body = SellCostInput(data=request.data)
        body.is_valid(raise_exception=True)
        buyer = None
        if body.validated_data.get("buyer"):
            buyer = buyers_of(account.pk).filter(number=body.validated_data["buyer"].strip()).first()
            if buyer is None:
                raise serializers.ValidationError({"buyer": [NOT_A_BUYER]})
        buyer_id = buyer.pk if buyer else None
        try:
            changed = any(set_sell_cost_and_rates(
                did_id=sub.did_id, seller_id=account.pk, buyer_id=buyer_id, by=request.user, rates=None,
                setup_fee=body.validated_data["setup_fee"], price=body.validated_data["price"]))
        except RatesRefused as refusal:
            errors = {SELL_FIELDS.get(field, field): [text] for field, text in refusal.errors.items() if field}
            raise Problem(str(refusal), code="refused", errors=errors) from None
        holding = Subscription.objects.get(pk=sub.pk)
        cost = current_sell_cost(sub.did, holding, buyer_id)
        return Response(SellCostAnswer({
            "number": sub.did.number, "buyer": buyer.number if buyer else None, "setup_fee": cost.price.setup_fee,
            "price": cost.price.price, "overridden": cost.overridden, "changed": changed}).data)

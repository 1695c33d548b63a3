"""POST /api/v1/purchases/: buy DIDs by number at the quoted total, all or none, once per
Idempotency-Key (billing/subscriptions/buy_numbers.py, api/idempotency.py)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status

from api.idempotency import HEADER, key_of, once
from api.serializers_buy import PurchaseRequestSerializer, PurchaseSerializer
from api.views.available import buyer_of
from api.views.base import ApiView
from billing.subscriptions.buy_numbers import buy_numbers


def purchase_answer(bought, currency: str) -> dict:
    return PurchaseSerializer({
        "numbers": [{"number": r.subscription.did.number, "setup_fee": r.subscription.setup_fee,
                     "monthly_fee": r.subscription.price, "billing_type": r.subscription.billing_type,
                     "billing_days": r.subscription.billing_days, "charged": r.charged,
                     "period_end": r.subscription.period_end} for r in bought.bought],
        "total": bought.charged, "balance": bought.balance, "currency": currency,
    }).data


class PurchasesView(ApiView):
    @extend_schema(
        operation_id="purchases_create", tags=["buying"],
        summary="Buy DIDs: all or none, at the expected total, once per Idempotency-Key",
        request=PurchaseRequestSerializer,
        parameters=[OpenApiParameter(HEADER, str, OpenApiParameter.HEADER, required=True,
                                     description="A key of your choosing (e.g. a UUID), new for each purchase: the "
                                                 "same key and body answer the first answer again without charging; "
                                                 "the same key with another body is 422.")],
        responses={201: PurchaseSerializer,
                   409: OpenApiResponse(description="did-sold: a number was bought by someone else a moment ago."),
                   422: OpenApiResponse(description="validation, or refused: the total differs (a price changed), "
                                                    "funds, a number not for sale. Nothing was bought.")},
        description="Buys every number at the prices available-dids shows, or none: refused with nothing written "
                    "if expected_total is not what they cost now. An admin's token is 403.")
    def post(self, request):
        buyer = buyer_of(request)
        key_of(request)  # 422 without one, before anything else
        body = PurchaseRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)

        def buy(purchase_key):
            bought = buy_numbers(buyer=buyer, numbers=body.validated_data["numbers"],
                                 expected_total=body.validated_data["expected_total"],
                                 purchase_key=purchase_key, by=request.user)
            return status.HTTP_201_CREATED, purchase_answer(bought, str(buyer.balance.currency))

        return once(request, buyer.pk, buy)

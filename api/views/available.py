"""GET /api/v1/available-dids/: the DIDs this account may buy, at its prices (Buy DIDs' query)."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema

from api.serializers_buy import AvailableDIDSerializer, AvailableQuerySerializer
from api.views.base import ApiListView
from billing.subscriptions.offers import offers

OPERATOR_DOES_NOT_BUY = "The operator does not buy DIDs: use a reseller's or a customer's token."


def buyer_of(request):
    """The token's account, which buys from its seller; an admin's token (the operator) is 403."""
    if request.user.account_id is None:
        raise PermissionDenied(OPERATOR_DOES_NOT_BUY)
    return request.user.account


class AvailableDIDsView(ApiListView):
    """The seller's pool (the operator's unsold DIDs, or the reseller's unsold holdings while it may
    sell them) at the prices this account pays: Buy DIDs' list and search, cursor-paginated by number."""

    serializer_class = AvailableDIDSerializer
    ordering = "number"

    def get_queryset(self):
        account = buyer_of(self.request)
        search = AvailableQuerySerializer(data=self.request.query_params)
        search.is_valid(raise_exception=True)
        return offers(account, search.filters()).only(
            "number", "country", "city", "province", "billing_type", "billing_days")

    @extend_schema(
        operation_id="available_dids_list", tags=["buying"],
        summary="DIDs this account may buy, at its prices",
        parameters=[AvailableQuerySerializer],
        description="The seller's pool at the prices this account pays (the Buy DIDs page's list), by number. "
                    "An admin's token is 403: the operator does not buy.")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

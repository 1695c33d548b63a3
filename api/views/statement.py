"""GET /api/v1/statement/ and GET /api/v1/calls/: the token's account's statement and calls, as
the Statement and Calls pages show them (the same queries: billing/ledger/statement.py
``statement_entries``, calls/listing.py ``account_calls``), newest first, cursor-paginated.

``?from=`` and ``?to=`` are days (YYYY-MM-DD), both included, in the portal's time zone, read by
the Statement page's own date form (its messages); anything else is 422 with the field's error.
An admin's token is 403: the operator has no statement or calls of its own."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

from api.serializers_dids import CallSerializer, StatementEntrySerializer
from api.views.base import ApiListView
from api.views.dids import form_errors, own_account
from billing.forms import StatementFilterForm
from billing.ledger.statement import statement_entries, within_days
from billing.models import LedgerEntry
from calls.forms import CallFilterForm
from calls.listing import account_calls
from calls.models import CallCharge

ISO_DATE = ["%Y-%m-%d"]
# The API's names of the page forms' fields.
NAMES = {"date_from": "from", "date_to": "to", "did": "did"}
DATE_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="The first day (YYYY-MM-DD), in the portal's time zone."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="The last day, included (YYYY-MM-DD)."),
]
NO_STATEMENT = "The operator has no statement or calls of its own: this endpoint is for reseller and customer tokens."


def checked(form):
    """The page form, valid, or 422 with its messages under the API's parameter names."""
    if not form.is_valid():
        error = form_errors(form)
        error.detail = {NAMES.get(name, name): messages for name, messages in error.detail.items()}
        raise error
    return form


def days(request):
    """(from, to) of the query: the Statement page's date form, reading ISO dates only."""
    form = StatementFilterForm({"date_from": request.query_params.get("from", ""),
                                "date_to": request.query_params.get("to", "")})
    for name in ("date_from", "date_to"):
        form.fields[name].input_formats = ISO_DATE
    checked(form)
    return form.cleaned_data["date_from"], form.cleaned_data["date_to"]


class StatementView(ApiListView):
    """The account's ledger entries, newest first, with the balance after each."""

    serializer_class = StatementEntrySerializer
    ordering = "-seq"  # unique within the account: the page's keyset too

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LedgerEntry.objects.none()
        account = own_account(self.request, NO_STATEMENT)
        date_from, date_to = days(self.request)
        return statement_entries(account_id=account.pk, date_from=date_from, date_to=date_to)

    @extend_schema(operation_id="statement_list", tags=["statement"], parameters=DATE_PARAMETERS,
                   summary="The account's statement: its ledger entries, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CallsView(ApiListView):
    """Each call to the account's numbers and what it paid, newest first; for a reseller also what
    the account below paid it for the same call."""

    serializer_class = CallSerializer
    ordering = ("-started_at", "-id")  # the index callcharge_account_started

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CallCharge.objects.none()
        account = own_account(self.request, NO_STATEMENT)
        date_from, date_to = days(self.request)
        number = checked(CallFilterForm({"did": self.request.query_params.get("did", "")})).number
        return within_days(account_calls(account, number), "started_at", date_from, date_to)

    @extend_schema(operation_id="calls_list", tags=["calls"], summary="The account's calls, newest first",
                   parameters=[*DATE_PARAMETERS, OpenApiParameter(
                       "did", OpenApiTypes.STR, description="Only the calls to this DID (as the Calls page's filter).")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

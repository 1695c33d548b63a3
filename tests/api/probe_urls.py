"""The project's URLs plus endpoints that exist only for tests (ROOT_URLCONF override): one
that writes an audit row, one that raises whatever exception it is asked for, one cursor list."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path
from rest_framework import serializers
from rest_framework.response import Response

from accounts.models import Account
from api.exceptions import Conflict
from api.serializers import StrictSerializer
from api.views.base import ApiListView, ApiView
from audit.record import record
from billing.prices.rate_book import RatesRefused
from billing.subscriptions.purchase import PurchaseRefused
from billing_portal.urls import urlpatterns as project
from dids.services import CatalogueError


class AuditProbe(ApiView):
    def post(self, request):
        record("account.updated", account=request.user.account, summary="probe")
        return Response({"ok": True})


class Thing(StrictSerializer):
    name = serializers.CharField(max_length=5)
    items = serializers.ListField(child=serializers.DictField(child=serializers.IntegerField()), required=False)
    number = serializers.CharField(read_only=True)


RAISES = {
    "http404": lambda: Http404("gone"),
    "django-denied": lambda: PermissionDenied("This page is for resellers."),
    "django-invalid": lambda: ValidationError({"number": ["Enter a valid number."]}),
    "conflict": lambda: Conflict("DID +18555801802 was just bought by someone else.", code="did-sold"),
    "catalogue": lambda: CatalogueError("DID +18555801802 already exists.", field="number"),
    "purchase": lambda: PurchaseRefused("Your account is suspended and cannot buy DIDs."),
    "rates": lambda: RatesRefused({"sell_cost_per_min": "Below your own cost.", None: "Nothing saved."}),
}


class RaiseProbe(ApiView):
    def get(self, request, what):
        raise RAISES[what]()

    def post(self, request, what):
        serializer = Thing(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class AccountList(ApiListView):
    ordering = ("name", "id")

    class serializer_class(serializers.Serializer):
        number = serializers.CharField()

    def get_queryset(self):
        return Account.objects.all()


urlpatterns = [
    path("api/v1/test-audit/", AuditProbe.as_view(), name="test_audit"),
    path("api/v1/test-raise/<str:what>/", RaiseProbe.as_view(), name="test_raise"),
    path("api/v1/test-accounts/", AccountList.as_view(), name="test_accounts"),
    *project,
]

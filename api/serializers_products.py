"""Serializers of the admin's DID products (/api/v1/admin/dids/): Create Product's fields, checked
by Create Product's own form (dids/forms.py DIDForm, through api/form_input.py) with its
messages, saved by the page's service (billing.prices.book.save_product).

Names are the form's (the seed's Create Product), values as the API writes them: the number in
E.164, the country as its ISO code, the provider by its name, money as strings with 4 places.
On PATCH the number is the path's and cannot be set (422); a product's holder is never set here
(only a purchase or a release moves it)."""

from rest_framework import serializers

from api.fields import MoneyField
from api.form_input import FormSerializer
from core.money import fmt
from dids.forms import MONEY_FIELDS, DIDForm
from dids.models import DID, Provider

INTEGER_FIELDS = ("grace_time", "initial_increment", "increment", "call_timeout", "billing_days", "concurrent_calls")


class ProductFields(serializers.Serializer):
    """Create Product's fields, in the form's order."""

    category = serializers.ChoiceField(choices=DID.Category.values, required=False, help_text="Default DID.")
    number = serializers.CharField(help_text="E.164 (+18555801802) or any common format read in the country given.")
    provider = serializers.CharField(required=False, help_text="The provider's name (an active one); default: the "
                                                                "default provider.")
    country = serializers.CharField(required=False, allow_blank=True, help_text="ISO 3166 code, e.g. US.")
    buy_cost = MoneyField(required=False, help_text="What the provider charges per period. Default 0.0000.")
    city = serializers.CharField(required=False, allow_blank=True)
    province = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=DID.Status.values, required=False,
                                     help_text="active (default) or inactive: inactive DIDs cannot be bought.")
    connection_cost = MoneyField(required=False)
    grace_time = serializers.IntegerField(required=False, help_text="Seconds. Default 0.")
    cost_per_min = MoneyField(required=False)
    initial_increment = serializers.IntegerField(required=False, help_text="Seconds. Default 60.")
    increment = serializers.IntegerField(required=False, help_text="Seconds. Default 60.")
    setup_fee = MoneyField(required=False, help_text="The operator's setup fee (its default sell cost).")
    monthly_fee = MoneyField(help_text="The operator's price per period (its default sell cost).")
    call_timeout = serializers.IntegerField(required=False, help_text="Seconds, 1 to 600. Default 30.")
    billing_type = serializers.ChoiceField(choices=DID.BillingType.values, required=False,
                                           help_text="recurring (default) or one_time.")
    billing_days = serializers.IntegerField(help_text="Days per period, 1 to 3650.")
    concurrent_calls = serializers.IntegerField(required=False, help_text="0 = unlimited (default).")


class ProductOutSerializer(ProductFields):
    """A DID product as the admin's Edit Product shows it, and who holds it."""

    holder = serializers.CharField(read_only=True, allow_null=True, source="holder.number", default=None,
                                   help_text="The account number that bought it from the operator; null: unsold.")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, did):
        data = super().to_representation(did)
        data["provider"] = did.provider.name
        data["country"] = did.country.code or ""
        return data


class ProductWriteAnswer(ProductOutSerializer):
    """The answer of a create or an edit: the product, and what the page would warn about."""

    warnings = serializers.ListField(child=serializers.CharField(), read_only=True,
                                     help_text="The page's warnings, e.g. a MonthlyFee below the Buy Cost (saved: "
                                               "the operator may sell below cost).")

    def to_representation(self, did):
        data = super().to_representation(did)
        data["warnings"] = list(self.context.get("warnings", []))
        return data


class ProductInput(FormSerializer, ProductFields):
    """POST: Create Product. (PATCH: ProductPatchInput.)"""

    form_class = DIDForm

    def form_data(self, data):
        out = super().form_data(data)
        name = out.get("provider")
        if name:
            # The form chooses a provider by id (active ones, and the DID's own); the API names it.
            # An unknown name gets the form's own "Select a valid choice".
            found = Provider.objects.filter(name__iexact=name).values_list("pk", flat=True)
            out["provider"] = str(found[0]) if found else f"name {name}"
        return out


class ProductPatchInput(ProductInput):
    """PATCH: Edit Product, any of the fields but the number (the path's). ``base`` is the product
    as stored, as the page's form shows it."""

    number = serializers.CharField(read_only=True)
    monthly_fee = MoneyField(required=False)
    billing_days = serializers.IntegerField(required=False)

    @staticmethod
    def base_of(did: DID) -> dict:
        base = {name: getattr(did, name) for name in DIDForm._meta.fields}
        base.update({name: fmt(getattr(did, name)) for name in MONEY_FIELDS})
        base.update({name: str(getattr(did, name)) for name in INTEGER_FIELDS})
        base["provider"] = str(did.provider_id)
        base["country"] = did.country.code or ""
        return base  # its provider as an id already: a body's (a name) is translated by form_data

"""Serializers of an account's numbers (/api/v1/dids/), its statement and its calls.

Answers are read-only views of the pages' querysets (a Subscription with its DID; a LedgerEntry;
a CallCharge with its call); the two bodies a client sends (destination, sell cost) are
``StrictSerializer``s: any other field is 422 (api/serializers.py)."""

from rest_framework import serializers

from api.fields import MoneyField
from api.serializers import StrictSerializer
from billing.models import LedgerEntry, Subscription
from dids.models import DID

CALL_TYPES = Subscription.CallType.values
BILLING_TYPES = DID.BillingType.values


class BlankAsNull(serializers.CharField):
    """A stored blank text ("not set") answered as null."""

    def to_representation(self, value):
        return value or None


# --- GET /api/v1/dids/ and /api/v1/dids/{number}/ ------------------------------------------------

class SubscriptionTerms(serializers.Serializer):
    """What this account pays its seller for the number: the snapshot taken when it bought it."""

    setup_fee = MoneyField(read_only=True, help_text="The setup fee paid when it was bought.")
    price = MoneyField(read_only=True, help_text="The price paid per period (BUY COST).")
    billing_type = serializers.ChoiceField(read_only=True, choices=BILLING_TYPES)
    billing_days = serializers.IntegerField(read_only=True, help_text="The length of a period, in days.")
    since = serializers.DateTimeField(read_only=True, source="started_at", help_text="When it was bought.")


class HeldDestination(serializers.Serializer):
    call_type = BlankAsNull(read_only=True, allow_null=True,
                            help_text=f"One of {', '.join(CALL_TYPES)}; null: not set (or sold on: see sold_to).")
    destination = BlankAsNull(read_only=True, allow_null=True,
                              help_text="Where the calls go (a SIP URI, a device/extension, an E.164 number).")


class HeldSellCost(serializers.Serializer):
    """A reseller's default SELL COST: what the account it sells the number to pays (from its next
    renewal for one that holds it already). Per-buyer prices: PUT .../sell-cost/ with ``buyer``."""

    setup_fee = MoneyField(read_only=True, source="sell_setup_fee")
    price = MoneyField(read_only=True, source="sell_price")


class HeldDIDSerializer(serializers.Serializer):
    """One number this account holds (an active subscription)."""

    number = serializers.CharField(read_only=True, source="did.number", help_text="E.164, e.g. +18555801802.")
    country = serializers.CharField(read_only=True, source="did.country.code", help_text="ISO 3166 code, e.g. US.")
    city = serializers.CharField(read_only=True, source="did.city")
    province = serializers.CharField(read_only=True, source="did.province")
    subscription = SubscriptionTerms(read_only=True, source="*")
    paid_until = serializers.DateTimeField(read_only=True, source="period_end",
                                           help_text="The end of the period paid for.")
    next_renewal = serializers.DateTimeField(read_only=True, allow_null=True,
                                             help_text="When the next period is charged (the end of this one); "
                                                       "null for a One Time number, which does not renew.")
    status = serializers.ChoiceField(read_only=True, choices=["active", "suspended"],
                                     help_text="suspended: a renewal could not be paid; the number is kept until "
                                               "suspended_until, then released unless the account is funded.")
    suspended_until = serializers.DateTimeField(read_only=True, allow_null=True, source="grace_until")
    destination = HeldDestination(read_only=True, source="*", allow_null=True,
                              help_text="Where its calls go; null when sold on (its buyer routes them).")
    sold_to = serializers.CharField(read_only=True, allow_null=True, source="sold_to_number",
                                    help_text="The account number it is sold on to (resellers), or null.")
    sell_cost = HeldSellCost(read_only=True, source="*", allow_null=True,
                         help_text="A reseller's default sell cost; null for a customer (it sells to nobody).")

    def to_representation(self, sub):
        data = super().to_representation(sub)
        data["next_renewal"] = data["paid_until"] if sub.billing_type == DID.BillingType.RECURRING else None
        data["status"] = "suspended" if sub.grace_until else "active"
        if getattr(sub, "sold_to_number", None):
            data["destination"] = None
        if not self.context["is_reseller"]:  # the token's account: every row is its own
            data["sell_cost"] = None
        return data


# --- the two bodies -----------------------------------------------------------------------------

class DestinationInput(StrictSerializer):
    """PUT .../destination/: the Destination page's two fields (routing/forms.py checks them, with
    its messages). ``call_type`` null or "" with no destination clears it."""

    call_type = serializers.CharField(allow_blank=True, allow_null=True, required=False, trim_whitespace=False,
                                      help_text=f"One of {', '.join(CALL_TYPES)}; null or \"\" clears.")
    destination = serializers.CharField(allow_blank=True, allow_null=True, required=False, trim_whitespace=False,
                                        help_text="e.g. sip:alice@pbx.example.com, 1001, +442079460958")


class SellCostInput(StrictSerializer):
    """PUT .../sell-cost/: Edit Info's SELL COST, for all buyers or (``buyer``) one of them."""

    setup_fee = MoneyField(help_text="Not below what this account paid (its setup fee).")
    price = MoneyField(help_text="Not below what this account pays per period.")
    buyer = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                  help_text="An account number directly below this account: its price only. "
                                            "Omitted or null: the default for every buyer.")


class SellCostAnswer(serializers.Serializer):
    number = serializers.CharField(help_text="E.164.")
    buyer = serializers.CharField(allow_null=True, help_text="The buyer's account number; null: every buyer.")
    setup_fee = MoneyField()
    price = MoneyField()
    overridden = serializers.BooleanField(help_text="True when this buyer has a price of its own.")
    changed = serializers.BooleanField(help_text="False when the price was already this (nothing written).")


class ReleaseAnswer(serializers.Serializer):
    number = serializers.CharField(help_text="E.164.")
    released = serializers.BooleanField()
    detail = serializers.CharField(help_text="The page's message: no refund is given.")


# --- GET /api/v1/statement/ and /api/v1/calls/ ------------------------------------------------

class StatementEntrySerializer(serializers.Serializer):
    """One line of the statement (a ledger entry), newest first."""

    seq = serializers.IntegerField(read_only=True, help_text="The entry's place in the account's ledger: 1, 2, 3...")
    created_at = serializers.DateTimeField(read_only=True)
    kind = serializers.ChoiceField(read_only=True, choices=LedgerEntry.Kind.values)
    kind_label = serializers.CharField(read_only=True, source="get_kind_display", help_text="As the page shows it.")
    description = serializers.CharField(read_only=True)
    did = serializers.CharField(read_only=True, allow_null=True, source="did.number",
                                help_text="The DID it is about (E.164), or null.")
    period_start = serializers.DateTimeField(read_only=True, allow_null=True)
    period_end = serializers.DateTimeField(read_only=True, allow_null=True)
    amount = MoneyField(read_only=True, help_text="Negative: a charge; positive: a credit.")
    balance_after = MoneyField(read_only=True, help_text="The balance after this entry.")


class CallSerializer(serializers.Serializer):
    """One call to this account's numbers and what it paid for it, newest first."""

    started_at = serializers.DateTimeField(read_only=True)
    call_id = serializers.CharField(read_only=True, source="call.call_id", help_text="The switch's id of the call.")
    did = serializers.CharField(read_only=True, source="call.did.number", help_text="E.164.")
    answered_seconds = serializers.IntegerField(read_only=True, source="call.billsec")
    amount = MoneyField(read_only=True, help_text="What this account paid for the call.")
    charged_below = MoneyField(read_only=True, allow_null=True, source="earned",
                               help_text="Resellers: what the account below paid it for the call (null: "
                                         "not sold on, or a customer).")

    def to_representation(self, charge):
        if not hasattr(charge, "earned"):
            charge.earned = None
        return super().to_representation(charge)


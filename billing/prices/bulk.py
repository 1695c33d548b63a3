"""The DID list's bulk "Change prices": the operator's product prices (Setup Fee, MonthlyFee) and
rating fields of every DID of a search, in a fixed number of statements whatever their number
(dids/bulk.py's machinery: lock and pin the DIDs, INSERT … SELECT the history and audit rows,
one UPDATE).

A DID whose Setup Fee or MonthlyFee changes is recorded as every price change is
(billing/prices/wording.py: "Sell cost of the operator for all its buyers (bulk change): setup …,
price …", any rating field after it); other changes read "Bulk change: Increment 60 → 6". The
below-cost rule is the one of billing/prices/book.py: the operator may sell below the provider's
Buy Cost and is told how many DIDs now do. An account holding one of the DIDs from the operator at
the MonthlyFee (recurring, no override of its own) is told its new price and from which renewal
(one INSERT … SELECT of notices, notices.services.notify_each).
"""

from collections.abc import Mapping
from decimal import Decimal
from string import Formatter

from django.conf import settings
from django.db.models import (
    Case, CharField, DecimalField, Exists, F, JSONField, OuterRef, Q, QuerySet, Value, When,
)
from django.db.models.functions import Cast, Concat, JSONObject, Substr, TruncDate
from django.urls import reverse
from django.utils import timezone

from audit.record import StripNulls
from billing.models import PriceOverride, Subscription
from billing.prices.book import PRICE_NOTICE_BODY, PRICE_NOTICE_SUBJECT, operator_below_cost
from billing.prices.wording import operator_price_change_sql
from core.forms import MAX_PRICE
from core.money import fmt, fmt_page, quantize
from dids.bulk import BulkError, BulkResult, MoneyText, pair, pinned_dids, record_history
from dids.models import DID, DIDHistory
from notices.models import Notice
from notices.services import notify_each
from webhooks.models import EventType
from webhooks.outbox import emit_each

# What "Change prices" may change, with the labels of the Create Product form.
MONEY_FIELDS = {"setup_fee": "Setup Fee", "monthly_fee": "MonthlyFee", "connection_cost": "Connection Cost",
                "cost_per_min": "Cost/Min"}
WHOLE_FIELDS = {"grace_time": ("Grace Time", 0), "initial_increment": ("Initial Increment", 0),
                "increment": ("Increment", 1)}  # (label, minimum), maximum 86400 as on the form
WHOLE_MAX = 86400
PRICE_FIELDS = ("setup_fee", "monthly_fee")  # the operator's default sell cost of the DID


def bulk_set_prices(*, dids: QuerySet, changes: Mapping[str, Decimal | int | None], by=None) -> BulkResult:
    """Change the given price and rating fields (None or absent = keep). A DID whose
    Setup Fee or MonthlyFee changes gets a PRICE_CHANGED history row with the old and
    new operator's price (as the product Edit does); otherwise a CHANGED row."""
    new = _validated_prices(changes)
    currency = settings.PORTAL_CURRENCY
    differs = {name: ~Q(**{name: value}) | (~Q(**{f"{name}_currency": currency}) if name in MONEY_FIELDS else Q())
               for name, value in new.items()}
    any_differs = Q()
    for condition in differs.values():
        any_differs |= condition
    price_differs = Q(pk__in=[])
    for name in PRICE_FIELDS:
        if name in differs:
            price_differs |= differs[name]

    pieces, audited = {}, {}
    for name, value in new.items():
        label = MONEY_FIELDS.get(name) or WHOLE_FIELDS[name][0]
        old = MoneyText(F(name)) if name in MONEY_FIELDS else Cast(F(name), CharField())
        shown = fmt(value) if name in MONEY_FIELDS else str(value)
        pieces[name] = Case(When(differs[name], then=Concat(Value(f", {label} "), old, Value(f" → {shown}"))),
                            default=Value(""), output_field=CharField())
        audited[name] = Case(When(differs[name], then=pair(old, Value(shown))), default=Value(None),
                             output_field=JSONField())
    description = Case(When(price_differs, then=_price_description(new, pieces)),
                       default=Concat(Value("Bulk change: "), Substr(_joined(pieces.values()), 3),
                                      output_field=CharField()),
                       output_field=CharField())

    def when_price(expression, output):
        return Case(When(price_differs, then=expression), default=Value(None), output_field=output)

    amount = DecimalField(max_digits=14, decimal_places=4)
    text = CharField()
    price_columns = {
        "old_setup_fee": when_price(F("setup_fee"), amount),
        "old_setup_fee_currency": when_price(F("setup_fee_currency"), text),
        "old_price": when_price(F("monthly_fee"), amount),
        "old_price_currency": when_price(F("monthly_fee_currency"), text),
        "setup_fee": when_price(Value(new["setup_fee"], amount) if "setup_fee" in new else F("setup_fee"), amount),
        "setup_fee_currency": when_price(Value(currency), text),
        "price": when_price(Value(new["monthly_fee"], amount) if "monthly_fee" in new else F("monthly_fee"), amount),
        "price_currency": when_price(Value(currency), text),
    }
    action = Case(When(price_differs, then=Value(DIDHistory.Action.PRICE_CHANGED.value)),
                  default=Value(DIDHistory.Action.CHANGED.value), output_field=text)
    updates = {}
    for name, value in new.items():
        updates[name] = value
        if name in MONEY_FIELDS:
            updates[f"{name}_currency"] = currency
    with pinned_dids(dids) as (total, pinned):
        todo = pinned.filter(any_differs)
        record_history(todo, by=by, description=description, action=action, extra=price_columns,
                       audit=("did.bulk_prices", StripNulls(JSONObject(**audited), output_field=JSONField())))
        if "monthly_fee" in new:  # before the UPDATE: the notices read the old MonthlyFee
            _tell_holders(pinned.filter(differs["monthly_fee"]), new["monthly_fee"])
        changed = todo.update(**updates, updated_at=timezone.now())
        below = pinned.filter(operator_below_cost()).count() if "monthly_fee" in new else 0
    warning = ""
    if below:
        warning = (f"{below:,} of these DIDs now sell{'s' if below == 1 else ''} below "
                   "the provider's Buy Cost per period. Saved: the operator may sell below cost.")
    return BulkResult(total, changed, {"already at these values": total - changed}, warning)


def _tell_holders(dids: QuerySet, price: Decimal) -> int:
    """One notice per account holding one of ``dids`` from the operator at its MonthlyFee (recurring, no
    override of its own: billing/prices/book.py's holdings_paying, for many DIDs), in one INSERT … SELECT:
    book.py's words, old -> ``price`` from its next renewal."""
    holdings = Subscription.objects.filter(
        did__in=dids, parent__isnull=True, status=Subscription.Status.ACTIVE, billing_type=DID.BillingType.RECURRING,
    ).exclude(Exists(PriceOverride.objects.filter(did=OuterRef("did"), seller_subscription__isnull=True,
                                                  buyer=OuterRef("account"))))
    words = dict(number=F("did__number"),  # E.164: pages and e-mails show it formatted (core.phone.numbers_shown)
                 seller=Value("the operator"), Seller=Value("The operator"),
                 old=MoneyText(F("did__monthly_fee")), new=Value(fmt(price)),
                 days=Cast(F("billing_days"), CharField()), renews=Cast(TruncDate("period_end"), CharField()))
    marker = "987654321"
    before, after = reverse("billing:my_edit_info", args=[marker]).split(marker)
    # The same holders' webhooks: one event each, written from one SELECT (book.py's payload).
    emit_each(holdings, EventType.PRICE_CHANGED, payload=dict(
        number=F("did__number"), seller=Value(None, CharField()), old_price=F("did__monthly_fee"),
        new_price=Value(price, DecimalField(max_digits=14, decimal_places=4)), billing_days=F("billing_days"),
        applies_from=F("period_end")))
    return notify_each(holdings, kind=Notice.Kind.PRICE_CHANGED, subject=_filled(PRICE_NOTICE_SUBJECT, words),
                       body=_filled(PRICE_NOTICE_BODY, words),
                       link=Concat(Value(before), Cast(F("did_id"), CharField()), Value(after), output_field=CharField()))


def _filled(template: str, words: dict) -> Concat:
    """``template.format(**words)`` in SQL: each {name} is the expression ``words[name]``."""
    pieces = []
    for literal, name, _, _ in Formatter().parse(template):
        if literal:
            pieces.append(Value(literal))
        if name:
            pieces.append(words[name])
    return Concat(*pieces, output_field=CharField())


def _price_description(new: dict, pieces: dict) -> Concat:
    """The one price-change wording (old and new setup and price), then the other fields changed."""
    def value(name):
        return Value(fmt(new[name])) if name in new else MoneyText(F(name))

    wording = operator_price_change_sql(via="bulk change", old_setup=MoneyText(F("setup_fee")),
                                        setup=value("setup_fee"), old_price=MoneyText(F("monthly_fee")),
                                        price=value("monthly_fee"))
    others = [piece for name, piece in pieces.items() if name not in PRICE_FIELDS]
    return Concat(wording, *others, output_field=CharField()) if others else wording


def _joined(pieces) -> Concat:
    pieces = list(pieces)
    return pieces[0] if len(pieces) == 1 else Concat(*pieces, output_field=CharField())


def _validated_prices(changes: Mapping[str, Decimal | int | None]) -> dict[str, Decimal | int]:
    """The filled fields, checked as the Create Product form checks them."""
    unknown = set(changes) - set(MONEY_FIELDS) - set(WHOLE_FIELDS)
    if unknown:
        raise BulkError(f"These fields cannot be changed in bulk: {', '.join(sorted(unknown))}.")
    new: dict[str, Decimal | int] = {}
    for name, value in changes.items():
        if value is None or value == "":
            continue
        if name in MONEY_FIELDS:
            if isinstance(value, float) or not isinstance(value, (Decimal, int)):
                raise BulkError("Enter an amount in plain digits, e.g. 5 or 5.0000.", field=name)
            value = Decimal(value)
            if value != quantize(value):
                raise BulkError("Ensure that there are no more than 4 decimal places.", field=name)
            if not 0 <= value <= MAX_PRICE:
                raise BulkError(f"Enter an amount from 0 to {fmt_page(MAX_PRICE)}.", field=name)
            new[name] = quantize(value)
        else:
            label, minimum = WHOLE_FIELDS[name]
            if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= WHOLE_MAX:
                raise BulkError(f"{label}: enter a whole number from {minimum} to {WHOLE_MAX}.", field=name)
            new[name] = value
    if not new:
        raise BulkError("Fill in at least one field to change; blank fields are kept.")
    return new

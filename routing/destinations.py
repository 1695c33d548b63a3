"""Where a DID's calls go (DESIGN.md section 7): the holder at the end of the chain
sets a call type and a destination; the switch reads them (routing/).

The destination ends up in a softswitch's dial string, so it is checked strictly
and normalised here, once: nothing that could close a quote, a tag or a URI
parameter list (``;``, ``<``, ``>``, quotes, spaces) gets through.

Only the last level of the chain routes calls: a reseller that sold the DID on
sees its buyer's destination and cannot set its own. The DID row is locked first,
then the holder's subscription (the order of billing/subscriptions/purchase.py), so a purchase
of the DID by the holder's buyer and a destination change serialise.
"""

import ipaddress
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import acting_user
from audit.record import changed, record
from billing.subscriptions.chain import top_down
from billing.models import Subscription
from dids.models import DIDHistory
from dids.models import DID
from dids.numbers import read_number
from billing.subscriptions.holdings import locked_holding
from core.locking import lock_did

CallType = Subscription.CallType
MAX_LENGTH = 255

# RFC 3261 "unreserved" characters plus "+" (user-unreserved, for E.164 users); the other
# user-unreserved characters (& = $ , ; ? /) mean something to a dial plan and are left out.
_USER = re.compile(r"^(?:[A-Za-z0-9\-_.!~*+]|%[0-9A-Fa-f]{2})+$")
# An escape may not smuggle in what the plain characters keep out.
_UNSAFE_ESCAPED = set("\"'<>;\\` ")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_DEVICE = re.compile(r"^[A-Za-z0-9_.\-]{2,20}$")
_PSTN = re.compile(r"^\+[1-9][0-9]{7,14}$")

SIP_EXAMPLE = "e.g. sip:alice@pbx.example.com or sip:1001@203.0.113.5:5060"


class DestinationRefused(Exception):
    """Nothing was saved. ``field`` names the form field to blame (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def normalise(call_type: str, text: str, *, did_number: str | None = None, country: str | None = None) -> str:
    """The destination as it is stored, or ValidationError with a message for the field.
    ``country`` (the DID's): a PSTN number typed without its calling code is read there."""
    raw = (text or "").strip()
    if not raw:
        raise ValidationError("Enter the destination.", code="required")
    if len(raw) > MAX_LENGTH:
        raise ValidationError(f"At most {MAX_LENGTH} characters.", code="too_long")
    if call_type == CallType.SIP_URI:
        return _sip_uri(raw)
    if call_type == CallType.SIP_DEVICE:
        return _device(raw)
    if call_type == CallType.PSTN:
        return _pstn(raw, did_number, country)
    raise ValidationError("Choose a call type.", code="call_type")


def _sip_uri(raw: str) -> str:
    if any(c.isspace() for c in raw):
        raise ValidationError("A SIP URI has no spaces.", code="space")
    if any(c in raw for c in "<>\"';?"):
        raise ValidationError("Only sip:user@host[:port]: no ;parameters, ?headers, quotes or < >.", code="unsafe")
    scheme, colon, rest = raw.partition(":")
    if colon and "@" not in scheme and scheme.lower() != "sip" and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", scheme):
        raise ValidationError(f"Only sip: URIs, {SIP_EXAMPLE}.", code="scheme")
    body = rest if colon and scheme.lower() == "sip" else raw
    user, at, hostport = body.rpartition("@")
    if not at or not user:
        raise ValidationError(f"Enter user@host, {SIP_EXAMPLE}.", code="invalid")
    if not _USER.match(user) or any(chr(int(h, 16)) in _UNSAFE_ESCAPED or int(h, 16) < 0x21 or int(h, 16) > 0x7E
                                    for h in re.findall(r"%([0-9A-Fa-f]{2})", user)):
        raise ValidationError(
            "The user part may contain letters, digits, - _ . ! ~ * + and %-escapes.", code="user"
        )
    host, port = _host_port(hostport)
    uri = f"sip:{user}@{host}" + (f":{port}" if port is not None else "")
    if len(uri) > MAX_LENGTH:
        raise ValidationError(f"At most {MAX_LENGTH} characters.", code="too_long")
    return uri


def _host_port(text: str) -> tuple[str, int | None]:
    """A host name, an IPv4 address or a bracketed IPv6 address, then an optional :port."""
    port_text = None
    if text.startswith("["):
        close = text.find("]")
        host, rest = text[1:close], text[close + 1:]
        if close < 0 or (rest and not rest.startswith(":")):
            raise ValidationError("Write an IPv6 address in brackets, e.g. sip:alice@[2001:db8::1]:5060.",
                                  code="host")
        try:
            host = f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            raise ValidationError(f"{host} is not an IPv6 address.", code="host")
        port_text = rest[1:] if rest else None
    else:
        host, colon, port_text = text.partition(":")
        port_text = port_text if colon else None
        host = _hostname_or_ipv4(host)
    if port_text is None:
        return host, None
    if not port_text.isascii() or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValidationError("The port is a number from 1 to 65535.", code="port")
    return host, int(port_text)


def _hostname_or_ipv4(host: str) -> str:
    if _IPV4.match(host):
        if any(int(part) > 255 or (len(part) > 1 and part.startswith("0")) for part in host.split(".")):
            raise ValidationError(f"{host} is not an IPv4 address.", code="host")
        return host
    labels = host.rstrip(".").split(".")
    if not host or len(host) > 253 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ValidationError(f"Enter a host name or IP address after @, {SIP_EXAMPLE}.", code="host")
    return host.rstrip(".").lower()  # host names are case-insensitive; the user part is not


def _device(raw: str) -> str:
    if not _DEVICE.match(raw):
        raise ValidationError(
            "A SIP device or extension is 2 to 20 letters, digits, _ - or . (e.g. 1001 or alice).", code="invalid"
        )
    return raw


def _pstn(raw: str, did_number: str | None, country: str | None) -> str:
    try:
        number = read_number(raw, country).e164  # the product's one reading of a phone number
    except ValidationError as error:
        raise ValidationError(f"{error.messages[0]} E.164 is safest, e.g. +44 20 7946 0958.",
                              code="not_possible") from None
    if not _PSTN.match(number):
        raise ValidationError("Enter the number with its country code, 8 to 15 digits, e.g. +44 20 7946 0958.",
                              code="invalid")
    if number == did_number:
        raise ValidationError("That is this DID itself: its calls would loop.", code="loop")
    return number


# --- the holder's setting --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Routing:
    """Who routes a DID's calls, seen from one holder."""

    holder: Subscription  # the holder whose page this is
    last: Subscription  # the end of the chain: its destination is used
    buyer: Subscription | None  # the holder's own buyer, when it sold the DID on

    @property
    def routes_itself(self) -> bool:
        return self.last.pk == self.holder.pk


def routing_of(holder: Subscription) -> Routing:
    """The holder's place in the chain: one query for the DID's active subscriptions."""
    chain = top_down(Subscription.objects.filter(did_id=holder.did_id, status=Subscription.Status.ACTIVE)
                     .select_related("account"))
    pks = [s.pk for s in chain]
    below = chain[pks.index(holder.pk) + 1:] if holder.pk in pks else []
    return Routing(holder, below[-1] if below else holder, below[0] if below else None)


def describe(call_type: str, destination: str) -> str:
    if not call_type:
        return "not set"
    return f"{CallType(call_type).label} {destination}"


def set_destination(*, did_id: int, account_id: int, call_type: str, destination: str, by) -> bool:
    """Set (or, with an empty call type, clear) the destination of the account's calls on the DID.
    Returns False when nothing changed."""
    if call_type and call_type not in CallType.values:
        raise DestinationRefused("Choose a call type.", field="call_type")
    with transaction.atomic():
        did = lock_did(DID.objects.filter(pk=did_id))
        holder = locked_holding(did_id, account_id)
        if did is None or holder is None:
            raise DestinationRefused("This account does not hold this DID.")
        buyer = Subscription.objects.filter(parent=holder, status=Subscription.Status.ACTIVE).select_related("account").first()
        if buyer is not None:
            raise DestinationRefused(f"DID {did.shown} is sold on to {buyer.account.name}: its calls go where "
                                     "the last account in the chain sends them.")
        if call_type:
            try:
                destination = normalise(call_type, destination, did_number=did.number, country=did.country.code)
            except ValidationError as error:
                raise DestinationRefused(error.messages[0], field="destination")
        else:
            destination = ""
        if (holder.call_type, holder.destination) == (call_type, destination):
            return False
        Subscription.objects.filter(pk=holder.pk).update(call_type=call_type, destination=destination)
        if call_type:
            what = f"Destination set to {describe(call_type, destination)}"
            if holder.call_type:
                what += f" (was {describe(holder.call_type, holder.destination)})"
        else:
            what = f"Destination cleared (was {describe(holder.call_type, holder.destination)})"
        DIDHistory.objects.create(did=did, account_id=account_id, action=DIDHistory.Action.CHANGED,
                                  actor=acting_user(by), description=what[:255])
        record("destination.set", did=did, account=holder.account, obj=holder, by=by,
               summary=f"DID {did.shown}: {what[0].lower()}{what[1:]}",
               changes=changed({"call_type": holder.call_type, "destination": holder.destination},
                               {"call_type": call_type, "destination": destination}))
    return True

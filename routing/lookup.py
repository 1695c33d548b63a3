"""Where an incoming call to a DID goes, or why it may not go through: one SQL query
and a decision in Python (DESIGN.md section 7).

The answer carries only what the switch needs. A refusal carries the number and the
reason, never a destination or anything about the accounts holding the DID.
"""

import re
from dataclasses import dataclass

from django.db import connection

from billing.subscriptions.chain import top_down
from routing.numbers import normalise

# Reasons, checked in this order.
INVALID_NUMBER = "invalid_number"  # not a phone number at all
UNKNOWN_NUMBER = "unknown_number"  # no such DID
INACTIVE = "inactive"  # the DID's status is not Active
NO_HOLDER = "no_holder"  # nobody holds it
SUSPENDED = "suspended"  # a renewal failed (grace period) at any level, or the account using it is suspended
NO_DESTINATION = "no_destination"  # the account using it has not said where calls go
INVALID_DESTINATION = "invalid_destination"  # a destination a switch could misread (see below)

# The DID with its active chain of holders and their accounts' status. The partial
# unique indexes on billing_subscription keep this to one row per level.
_SQL = """
SELECT d.status, d.call_timeout, d.concurrent_calls,
       s.id, s.parent_id, s.call_type, s.destination, s.grace_until, a.status
FROM dids_did d
LEFT JOIN billing_subscription s ON s.did_id = d.id AND s.status = 'active'
LEFT JOIN accounts_account a ON a.id = s.account_id
WHERE d.number = %s
"""

CALL_TYPES = {"sip_uri", "sip_device", "pstn"}
# Destinations go into dial strings and Request-URIs. routing/destinations.py checks them
# when they are set; this is the last line: no spaces, quotes, ";", "$" (variable expansion),
# "," or "|" (a second leg in a FreeSWITCH dial string), brackets only around an IPv6 host.
_SAFE_DESTINATION = re.compile(r"[A-Za-z0-9@.:_+*%~!-]+(?:@\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?)?")


@dataclass(frozen=True)
class Answer:
    number: str | None
    reason: str | None = None
    call_type: str | None = None
    destination: str | None = None
    call_timeout: int | None = None
    concurrent_calls: int | None = None  # 0 = unlimited

    @property
    def allow(self) -> bool:
        return self.reason is None

    def as_dict(self) -> dict:
        return {"number": self.number, "allow": self.allow, "reason": self.reason, "call_type": self.call_type,
                "destination": self.destination, "call_timeout": self.call_timeout,
                "concurrent_calls": self.concurrent_calls}


@dataclass(frozen=True)
class _Level:
    pk: int
    parent_id: int | None
    call_type: str
    destination: str
    in_grace: bool
    account_suspended: bool


def answer_for(raw_number: str, country: str | None = None) -> Answer:
    """``country``: the switch's, for called numbers sent without a calling code."""
    number = normalise(raw_number, country)
    if number is None:
        return Answer(None, INVALID_NUMBER)
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [number])
        rows = cursor.fetchall()
    return decide(number, rows)


def decide(number: str, rows) -> Answer:
    """The answer for the rows of ``_SQL`` (no rows: no such DID)."""
    if not rows:
        return Answer(number, UNKNOWN_NUMBER)
    status, call_timeout, concurrent_calls = rows[0][:3]
    if status != "active":
        return Answer(number, INACTIVE)
    chain = top_down(
        _Level(pk, parent, call_type or "", destination or "", grace is not None, account_status != "active")
        for _, _, _, pk, parent, call_type, destination, grace, account_status in rows
        if pk is not None
    )
    if not chain:
        return Answer(number, NO_HOLDER)
    user = chain[-1]  # the bottom of the chain uses the number
    # A suspended reseller above it does not stop its customer's calls (issue 16): only the billing
    # rules end a number bought below it (grace, the release cascade).
    if any(level.in_grace for level in chain) or user.account_suspended:
        return Answer(number, SUSPENDED)
    if not user.call_type or not user.destination:
        return Answer(number, NO_DESTINATION)
    if user.call_type not in CALL_TYPES or not _SAFE_DESTINATION.fullmatch(user.destination):
        return Answer(number, INVALID_DESTINATION)
    return Answer(number, None, user.call_type, user.destination, call_timeout, concurrent_calls)

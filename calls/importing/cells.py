"""One CDR row's cells to checked values, or RowError with a reason naming the column."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone
from functools import lru_cache

from django.core.exceptions import ValidationError

from dids.importing.cells import RowError
from dids.numbers import normalize_did

MAX_CALL_ID = 128
MAX_BILLSEC = 86_400  # a day: longer is a broken CDR, not a call
EARLIEST = datetime(2000, 1, 1, tzinfo=dt_timezone.utc)
CLOCK_SKEW = timedelta(minutes=5)  # a switch's clock a little ahead of ours is not an error


@dataclass(frozen=True)
class CallRow:
    call_id: str
    number: str  # E.164
    started_at: datetime  # aware
    billsec: int


def call_id_cell(text: str) -> str:
    value = text.strip()
    if not value:
        raise RowError("Call ID: empty; every call needs its switch's unique id.")
    if len(value) > MAX_CALL_ID:
        raise RowError(f"Call ID: longer than {MAX_CALL_ID} characters.")
    if not value.isprintable():
        raise RowError("Call ID: contains control characters.")
    return value


@lru_cache(maxsize=100_000)
def number_cell(text: str) -> str:
    """Cached: a file has many calls to the same DIDs."""
    try:
        return normalize_did(text)
    except ValidationError as error:
        raise RowError(f"DID: {error.messages[0]}") from None


def start_cell(text: str, now: datetime, zone) -> datetime:
    """ISO 8601 ('2026-11-30 14:03:22', with or without a UTC offset; without one the
    portal's TIME_ZONE) or Unix epoch seconds (FreeSWITCH's start_epoch)."""
    value = text.strip()
    try:
        if value.isdigit():
            moment = datetime.fromtimestamp(int(value), tz=dt_timezone.utc)
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)  # zoneinfo: what timezone.make_aware does
    except (ValueError, OverflowError, OSError):
        raise RowError(f"Start: “{value[:40]}” is not a date and time (e.g. 2026-11-30 14:03:22).") from None
    if moment < EARLIEST:
        raise RowError(f"Start: {value} is before 2000.")
    if moment > now + CLOCK_SKEW:
        raise RowError(f"Start: {value} is in the future.")
    return moment


def billsec_cell(text: str) -> int:
    value = text.strip()
    if not value.isdecimal():  # not isdigit(): "²" is a digit that int() refuses
        raise RowError(f"Answered Seconds: “{value[:20]}” is not a whole number of seconds (0 or more).")
    if len(value) > 20:  # int() refuses 4,301 digits and more
        raise RowError(f"Answered Seconds: {value[:20]}… is longer than a day.")
    seconds = int(value)
    if seconds > MAX_BILLSEC:
        raise RowError(f"Answered Seconds: {seconds} is longer than a day.")
    return seconds


def call_row(cells: list[str], positions: dict[str, int], now: datetime, zone) -> CallRow:
    """``zone``: the time zone of times without an offset (the portal's TIME_ZONE)."""
    def cell(field):
        index = positions[field]
        return cells[index] if index < len(cells) else ""

    return CallRow(call_id_cell(cell("call_id")), number_cell(cell("number")), start_cell(cell("started_at"), now, zone),
                   billsec_cell(cell("billsec")))

"""One CDR row's cells to checked values, or RowError with a reason naming the column.

A file repeats itself (a day's million calls fall on 86,400 seconds and a few
thousand DIDs), so start times and numbers are read once per distinct text.

Times (docs/cdr-import.md): Unix epoch seconds are UTC; a time with a UTC offset
keeps it; a time without one is the switch's clock, read in the stated zone
(``--timezone``, the import page's Time zone, CDR_TIME_ZONE). A clock time the
autumn change repeats is read as the first of the two (summer time, fold=0); one
the spring change skips is refused: no clock shows it, so the zone must be wrong.
"""

import hashlib
import zoneinfo
from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError

from core.importing.rows import RowError
from dids.numbers import read_number

MAX_CALL_ID = 128
MAX_BILLSEC = 86_400  # a day: longer is a broken CDR, not a call
EARLIEST = datetime(2000, 1, 1, tzinfo=dt_timezone.utc)
CLOCK_SKEW = timedelta(minutes=5)  # a switch's clock a little ahead of ours is not an error
CACHE = 200_000  # distinct texts remembered per import (then forgotten and read again)
UTC = dt_timezone.utc


class CallRow(NamedTuple):
    call_id: str
    number: str  # E.164
    started_at: datetime  # aware
    billsec: int


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def read_zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The IANA zone of that name (blank: CDR_TIME_ZONE). Raises ValueError with a message."""
    name = (name or settings.CDR_TIME_ZONE).strip()
    if name not in time_zone_names():  # never a path: ZoneInfo("../x") would read a file
        raise ValueError(f"Unknown time zone “{name[:60]}”: give an IANA name such as Europe/Berlin, "
                         "America/New_York or UTC.")
    return zoneinfo.ZoneInfo(name)


def read_country(code: str | None) -> str:
    """'' or an ISO country code phone numbers are read in. Raises ValueError with a message."""
    code = (code or "").strip().upper()
    if code and code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"Unknown country “{code[:10]}”: give a two-letter ISO code such as US or DE.")
    return code


def call_id_cell(text: str) -> str:
    value = text.strip()
    if not value:
        raise RowError("Call ID: empty; every call needs its switch's unique id.")
    if len(value) > MAX_CALL_ID:
        raise RowError(f"Call ID: longer than {MAX_CALL_ID} characters.")
    if not value.isprintable():
        raise RowError("Call ID: contains control characters.")
    return value


def derived_call_id(channel: str, start: str, number: str) -> str:
    """A call id for a file without one (Asterisk's default Master.csv): the channel (its name
    carries a per-channel sequence number, e.g. PJSIP/carrier-0000012a), the start as written
    and the DID as written. The same row always gives the same id, so a rerun charges nothing
    twice; a channel name used again after a restart differs in its start."""
    channel = channel.strip()
    if not channel:
        raise RowError("Call ID: the file has no call id column, and this row no channel to make one from.")
    text = "\x1f".join((channel, start.strip(), number.strip()))
    return "cdr-" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


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


def fractional_seconds_cell(text: str) -> int:
    """Kamailio's duration ("62.517"): to the nearest whole second, half up (as Asterisk's
    billsec with initiatedseconds=yes), exactly: 0.499 is 0 (free), 0.5 is 1."""
    value = text.strip()
    if value.isdecimal():
        return billsec_cell(value)
    try:
        seconds = Decimal(value)
    except InvalidOperation:
        seconds = None
    if seconds is None or not seconds.is_finite() or seconds < 0 or len(value) > 30:
        raise RowError(f"Answered Seconds: “{value[:20]}” is not a number of seconds (0 or more, e.g. 62.517).")
    if seconds >= MAX_BILLSEC + Decimal("0.5"):  # compared, not rounded: 1e999999 is finite but too big to round
        raise RowError(f"Answered Seconds: {value[:20]} is longer than a day.")
    return int(seconds.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class Starts:
    """Start cells to aware datetimes in a stated zone, cached per text."""

    def __init__(self, zone: zoneinfo.ZoneInfo, now: datetime):
        self.zone, self.now = zone, now
        self.utc = zone.key == "UTC"  # no change of clocks to check
        self.cache: dict[str, object] = {}  # text -> datetime, or the reason it is refused

    def __call__(self, text: str) -> datetime:
        found = self.cache.get(text)
        if found is None:
            if len(self.cache) >= CACHE:
                self.cache.clear()
            found = self.cache[text] = self._read(text)
        if found.__class__ is str:
            raise RowError(found)
        return found

    def _read(self, text: str):
        value = text.strip()
        try:
            if value.isdigit():
                moment = datetime.fromtimestamp(int(value), tz=UTC)
            else:
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    naive, moment = moment, moment.replace(tzinfo=self.zone)  # fold=0: the first of a repeated hour
                    if not self.utc and moment.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) != naive:
                        return (f"Start: {value} does not exist in {self.zone.key} (the clocks skipped it); "
                                "is the time zone right?")
                moment = moment.astimezone(UTC)  # one zone for every call: a repeated hour's time equals its UTC
        except (ValueError, OverflowError, OSError):
            return f"Start: “{value[:40]}” is not a date and time (e.g. 2026-11-30 14:03:22)."
        if moment < EARLIEST:
            return f"Start: {value} is before 2000."
        if moment > self.now + CLOCK_SKEW:
            return f"Start: {value} is in the future; is the time zone right?"
        return moment


class Numbers:
    """DID cells to E.164, read in the import's country (a US switch writes 10 digits), cached per text."""

    def __init__(self, country: str = ""):
        self.country = country or None
        self.cache: dict[str, str] = {}  # text -> E.164 ("+..."), or the reason it is refused ("DID: ...")

    def __call__(self, text: str) -> str:
        found = self.cache.get(text)
        if found is None:
            try:
                found = read_number(text, self.country).e164
            except ValidationError as error:
                found = f"DID: {error.messages[0]}"
            if len(self.cache) >= CACHE:
                self.cache.clear()
            self.cache[text] = found
        if found[0] != "+":
            raise RowError(found)
        return found


class RowReader:
    """A row's cells -> CallRow, by the columns as matched (calls/importing/columns.py). The hot
    path of an import: the caches are read inline, the readers called only for a new text."""

    def __init__(self, columns, *, billsec, zone: zoneinfo.ZoneInfo, country: str, now: datetime):
        positions = columns.positions
        self.call_at = positions.get("call_id")
        self.derived = self.call_at is None  # the id is made from the channel (columns.check made sure of one)
        self.start_at, self.number_at, self.billsec_at = (positions["started_at"], positions["number"],
                                                          positions["billsec"])
        first = positions["channel"] if self.derived else self.call_at
        self._indexes = (first, self.start_at, self.number_at, self.billsec_at)
        self._values = itemgetter(*self._indexes)
        self.start_fallback = columns.fallbacks.get("started_at")
        # Files without a header line: every row has the template's columns (else it is not one of its rows).
        self.width = None if columns.has_header else len(columns.header)
        self.layout = columns.layout
        self.billsec = billsec
        self.seconds: dict[str, int] = {}  # answered-seconds text -> seconds
        self.starts = Starts(zone, now)
        self.numbers = Numbers(country)

    @staticmethod
    def _cell(cells: list[str], index) -> str:
        return cells[index] if index is not None and index < len(cells) else ""

    def shown_id(self, cells: list[str]) -> str:
        """The call id as the report shows it (also for a row refused before it was read)."""
        return self._cell(cells, self.call_at).strip()

    def _cells(self, cells: list[str]) -> tuple[str, str, str, str]:
        """(call id or channel, start, DID, answered seconds) as written; a short row's missing cells are empty."""
        try:
            return self._values(cells)
        except IndexError:
            return tuple(self._cell(cells, i) for i in self._indexes)

    def _seconds(self, text: str) -> int:
        seconds = self.seconds.get(text)
        if seconds is None:
            seconds = self.billsec(text)  # raises RowError for a text that is not one
            if len(self.seconds) < CACHE:
                self.seconds[text] = seconds
        return seconds

    def _call_id(self, first: str, start: str, number: str) -> str:
        if self.derived:
            return derived_call_id(first, start, number)
        call_id = first.strip()
        if not call_id or len(call_id) > MAX_CALL_ID or not call_id.isprintable():
            call_id_cell(first)  # raises, saying why
        return call_id

    def identify(self, cells: list[str]) -> tuple[str | None, int]:
        """The first read: (the call id, None when the row has no usable one; the answered seconds,
        -1 when not readable). The row is refused when it is read again."""
        if self.width is not None and len(cells) != self.width:
            return None, -1
        first, start, number, seconds = self._cells(cells)
        try:
            call_id = self._call_id(first, start, number)
        except RowError:
            return None, -1
        try:
            return call_id, self._seconds(seconds)
        except RowError:
            return call_id, -1

    def read(self, cells: list[str]) -> CallRow:
        if self.width is not None and len(cells) != self.width:
            raise RowError(f"The row has {len(cells)} columns; this file's rows have {self.width} "
                           f"({self.layout}).")
        first, start, number, seconds = self._cells(cells)
        call_id = self._call_id(first, start, number)
        e164 = self.numbers.cache.get(number)
        if e164 is None or e164[0] != "+":
            e164 = self.numbers(number)
        if self.start_fallback is not None and not start.strip():
            start = cells[self.start_fallback]
        moment = self.starts.cache.get(start)
        if moment is None or moment.__class__ is str:
            moment = self.starts(start)
        billsec = self.seconds.get(seconds)
        if billsec is None:
            billsec = self._seconds(seconds)
        return CallRow(call_id, e164, moment, billsec)

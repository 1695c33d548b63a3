"""Which CDR column is which field (core/importing/matching.py): by header name with
preferences, the admin's choices on top; for switch files without a header line, by
the position their template gives (calls/importing/formats.py).

Preferences where two columns mean one field (docs/cdr-import.md):
- Start: a Unix epoch column (FreeSWITCH's ``start_epoch``) before a written time
  (``start_stamp``): epoch seconds are UTC, so no time zone has to be right.
- DID: ``did`` (FreePBX: the DID the call came in on) before ``dst`` (the extension
  the dialplan sent it to, which is the DID only without a DID route).
"""

from dataclasses import dataclass, field

from core.importing.matching import IGNORE, Field, Match, Matcher
from core.importing.reader import FileError

CALL_ID = Field("call_id", "Call ID", ("CallID", "Call UUID", "UUID", "Uniqueid", "Unique ID", "Session ID",
                                       "Acct Session ID"), required=True)
START = Field("started_at", "Start", ("Start Epoch", "Start Stamp", "Start Time", "Call Date", "Calldate",
                                      "Call Start", "Started", "Date"), required=True)
NUMBER = Field("number", "DID", ("Number", "DID Number", "Destination Number", "Destination", "Called Number",
                                 "Called", "DNIS", "To", "dst"), required=True)
BILLSEC = Field("billsec", "Answered Seconds", ("Billsec", "Bill Sec", "Billable Seconds", "Answered",
                                                "Answer Seconds", "Talk Time", "Billed Seconds"), required=True)
# Without a call id column (Asterisk's default Master.csv), the channel makes one: formats.derived_call_id.
CHANNEL = Field("channel", "Channel", ("Chan",))

HEADER_FIELDS = [CALL_ID, START, NUMBER, BILLSEC, CHANNEL]
# Kamailio's acc_cdrs: the core columns and the cdr_extra names docs/cdr-import.md asks for. Its
# duration is the answered time (with cdr_start_on_confirmed), in fractional seconds.
KAMAILIO_FIELDS = [
    Field("call_id", "Call ID", ("callid", "call_id", "sip_call_id"), required=True),
    Field("started_at", "Start", ("start_time",), required=True),
    Field("number", "DID", ("dst_user", "dst_ouser", "callee"), required=True),
    Field("billsec", "Answered Seconds", ("duration",), required=True),
    CHANNEL,
]
FIELD_CHOICES = [(f.name, f.label) for f in HEADER_FIELDS]  # what the preview's "Used as" offers


class ColumnError(FileError):
    """The columns cannot be used as they are matched; ``columns`` says how they were."""

    def __init__(self, message: str, columns: "CDRColumns"):
        super().__init__(message)
        self.columns = columns


@dataclass
class CDRColumns:
    """How a file's columns were read: the positions of the fields, and what to tell the admin."""

    header: list[str]  # the file's first line, or the template's column names (no header line)
    match: Match
    matcher: Matcher
    layout: str  # "Header line", "Asterisk Master.csv, 17 columns (loguniqueid)", ...
    has_header: bool
    fallbacks: dict[str, int] = field(default_factory=dict)  # field -> column read when its own is empty
    samples: list[list[str]] = field(default_factory=list)  # the first rows, for the preview

    @property
    def positions(self) -> dict[str, int]:
        return self.match.positions

    @property
    def derived_id(self) -> bool:
        """No call id column: the id is made from the channel, start and DID."""
        return "call_id" not in self.positions

    @property
    def notes(self) -> list[str]:
        notes = self.matcher.notes(self.match)
        if self.derived_id and "channel" in self.positions:
            notes.append("No call id column: each call's id is made from its channel, start and DID "
                         "(the same row always gets the same id, so a rerun charges nothing twice).")
        return notes

    @property
    def ignored(self) -> list[str]:
        return self.match.ignored

    @property
    def fixable(self) -> bool:
        """Whether choosing columns could help: the file has columns not used yet."""
        return any(used == IGNORE for used in self.match.used_as)

    def check(self) -> None:
        """Raise ColumnError unless every field the rows need has its column."""
        problems = list(self.match.problems)
        missing = [label for label in self.match.missing
                   if not (label == self.matcher.label("call_id") and "channel" in self.positions)]
        if missing:
            found = ", ".join(f"“{name.strip()}”" for name in self.header if name.strip()) or "none"
            if self.has_header:
                problems.append(
                    f"The first line must name the columns; missing: {', '.join(missing)}. A CDR file has the "
                    f"columns Call ID, Start, DID and Answered Seconds (or Billsec); this one has {found}. For "
                    "Kamailio's acc_cdrs choose the format Kamailio; for Asterisk's Master.csv without a header "
                    "line, Asterisk.")
            else:
                problems.append(f"No column is used as {', '.join(missing)}.")
        if problems:
            raise ColumnError(" ".join(problems), self)


def match_columns(header: list[str], fields: list[Field], *, base: dict[int, str] | None = None,
                  overrides: dict[int, str] | None = None, layout: str, has_header: bool,
                  fallbacks: dict[str, int] | None = None) -> CDRColumns:
    """``base``: a template's positions (files without a header line); ``overrides``: the
    admin's choices (browser) or ``--map`` options, on top."""
    matcher = Matcher(fields if has_header else HEADER_FIELDS)
    overrides = overrides or {}
    chosen = set(overrides.values())
    # A field chosen for a column takes it from the template's column for it; two chosen columns stay two.
    choices = {index: IGNORE if used in chosen else used for index, used in (base or {}).items()}
    choices.update(overrides)
    match = matcher.match(header, overrides=choices)
    if "call_id" in match.positions and "channel" in match.positions:  # the channel only stands in for a call id
        match.used_as[match.positions.pop("channel")] = IGNORE
    return CDRColumns(list(header), match, matcher, layout, has_header, dict(fallbacks or {}))

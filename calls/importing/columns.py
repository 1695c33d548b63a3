"""Which CDR column is which: by header name, never by position (the names the
common softswitches and carriers export, compared loosely like the DID import's)."""

from dataclasses import dataclass

from dids.importing.columns import HeaderError, loose

ALIASES = {
    "call_id": ["Call ID", "CallID", "Call UUID", "UUID", "Uniqueid", "Unique ID", "Session ID", "Acct Session ID"],
    "started_at": ["Start", "Start Time", "Start Stamp", "Start Epoch", "Call Date", "Calldate", "Call Start",
                   "Started", "Date"],
    "number": ["DID", "Number", "DID Number", "Destination", "Destination Number", "Called Number", "Called",
               "DNIS", "To", "dst"],
    "billsec": ["Answered Seconds", "Billsec", "Bill Sec", "Billable Seconds", "Answered", "Answer Seconds",
                "Talk Time", "Billed Seconds"],
}
LABEL = {"call_id": "Call ID", "started_at": "Start", "number": "DID", "billsec": "Answered Seconds"}
LOOKUP = {loose(name): field for field, names in ALIASES.items() for name in names + [field]}


@dataclass
class CDRColumns:
    positions: dict[str, int]
    ignored: list[str]  # other columns (durations, caller ids...): reported, not fatal


def map_cdr_header(header: list[str]) -> CDRColumns:
    positions: dict[str, int] = {}
    ignored = []
    for index, name in enumerate(header):
        field = LOOKUP.get(loose(name)) if name.strip() else None
        if field is None:
            if name.strip():
                ignored.append(name.strip())
        elif field in positions:
            raise HeaderError(f"Two columns mean {LABEL[field]}: “{header[positions[field]].strip()}” and “{name.strip()}”.")
        else:
            positions[field] = index
    missing = [LABEL[f] for f in LABEL if f not in positions]
    if missing:
        raise HeaderError(
            f"The first line must name the columns; missing: {', '.join(missing)}. "
            "A CDR file has the columns Call ID, Start, DID and Answered Seconds (or Billsec)."
        )
    return CDRColumns(positions, ignored)

"""The CDR files switches write, as they write them (docs/cdr-import.md):

- ``header``: a first line naming the columns (any switch's or billing system's export,
  FreePBX's ``cdr`` table, a FreeSWITCH template with a header...), matched by name.
- ``asterisk``: cdr_csv's Master.csv, no header line: 16 columns, 17 or 18 with cdr.conf's
  ``loguniqueid``/``loguserfield``, told apart per file.
- ``freeswitch``: mod_cdr_csv's shipped templates, no header line, told apart by the
  first row's column count and shape.
- ``kamailio``: the acc module's ``acc_cdrs`` table exported with its header line
  (``psql \\copy ... CSV HEADER`` or ``mysql -B``); ``duration`` is the answered time.

A file without a header line is read by position: the template's column names stand in
for a header (in the preview, the column choices and the rejected rows' CSV).
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import BinaryIO

from calls.importing.cells import billsec_cell, fractional_seconds_cell
from calls.importing.columns import HEADER_FIELDS, KAMAILIO_FIELDS, CDRColumns, match_columns
from core.importing.matching import IGNORE, Matcher
from core.importing.reader import FileError, read_table

PEEK = 50  # rows looked at to tell a file's layout
SAMPLES = 3  # rows shown on the preview

_DATE = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# Asterisk's uniqueid: epoch seconds "." a counter, after "systemname-" when asterisk.conf sets one.
_UNIQUEID = re.compile(r"^(?:[\w.-]+-)?\d{9,}\.\d+$")


@dataclass(frozen=True)
class Layout:
    """A template's columns, in the order the switch writes them, and which feed a field."""

    name: str
    columns: tuple[str, ...]
    fields: dict[str, str]  # column name -> field
    fallbacks: dict[str, str] = field(default_factory=dict)  # field -> column read when its own cell is empty

    def index(self, column: str) -> int:
        return self.columns.index(column)


# Asterisk, cdr/cdr_csv.c, build_csv_record() (asterisk/asterisk): accountcode, src, dst, dcontext,
# clid, channel, dstchannel, lastapp, lastdata, start, answer, end (quoted "%Y-%m-%d %T", local time
# unless usegmtime; answer empty when unanswered), duration, billsec (bare integers), disposition,
# amaflags; then uniqueid if loguniqueid, then userfield if loguserfield ([csv] in cdr.conf).
ASTERISK_COLUMNS = ("accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
                    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags")
_ASTERISK_FIELDS = {"dst": "number", "channel": "channel", "start": "started_at", "billsec": "billsec",
                    "uniqueid": "call_id"}
ASTERISK = {
    "plain": Layout("Asterisk Master.csv, 16 columns (cdr.conf defaults: no call id, made from the channel)",
                    ASTERISK_COLUMNS, _ASTERISK_FIELDS),
    "uniqueid": Layout("Asterisk Master.csv, 17 columns (loguniqueid)", ASTERISK_COLUMNS + ("uniqueid",),
                       _ASTERISK_FIELDS),
    "userfield": Layout("Asterisk Master.csv, 17 columns (loguserfield: no call id, made from the channel)",
                        ASTERISK_COLUMNS + ("userfield",), _ASTERISK_FIELDS),
    "both": Layout("Asterisk Master.csv, 18 columns (loguniqueid and loguserfield)",
                   ASTERISK_COLUMNS + ("uniqueid", "userfield"), _ASTERISK_FIELDS),
}

# FreeSWITCH, conf/vanilla/autoload_configs/cdr_csv.conf.xml (mod_cdr_csv's shipped templates; "example"
# is default-template). Every value quoted; stamps "%Y-%m-%d %H:%M:%S" in the switch's local time.
# The "sql" template writes INSERT statements, not CSV.
_EXAMPLE = ("caller_id_name", "caller_id_number", "destination_number", "context", "start_stamp", "answer_stamp",
            "end_stamp", "duration", "billsec", "hangup_cause", "uuid", "bleg_uuid", "accountcode", "read_codec",
            "write_codec")
_FS_FIELDS = {"uuid": "call_id", "destination_number": "number", "start_stamp": "started_at", "billsec": "billsec"}
FREESWITCH = {
    "example": Layout("FreeSWITCH mod_cdr_csv, template “example” (15 columns)", _EXAMPLE, _FS_FIELDS),
    "snom": Layout("FreeSWITCH mod_cdr_csv, template “snom” (20 columns)", _EXAMPLE + (
        "sip_user_agent", "call_clientcode", "sip_rtp_rxstat", "sip_rtp_txstat", "sofia_record_file"), _FS_FIELDS),
    "linksys": Layout("FreeSWITCH mod_cdr_csv, template “linksys” (17 columns)",
                      _EXAMPLE + ("sip_user_agent", "sip_p_rtp_stat"), _FS_FIELDS),
    "asterisk": Layout("FreeSWITCH mod_cdr_csv, template “asterisk” (18 columns)", (
        "accountcode", "caller_id_number", "destination_number", "context", "caller_id", "channel_name",
        "bridge_channel", "last_app", "last_arg", "start_stamp", "answer_stamp", "end_stamp", "duration", "billsec",
        "hangup_cause", "amaflags", "uuid", "userfield"), _FS_FIELDS),
    # No start_stamp: a call's moment is its answer, or its end when it was not answered.
    "opencdrrate": Layout("FreeSWITCH mod_cdr_csv, template “opencdrrate” (13 columns)", (
        "uuid", "signal_bond", "direction", "ani", "destination_number", "answer_stamp", "end_stamp", "billsec",
        "accountcode", "userfield", "network_addr", "original_caller_id_name", "sip_gateway_name"),
        {"uuid": "call_id", "destination_number": "number", "answer_stamp": "started_at", "billsec": "billsec"},
        fallbacks={"started_at": "end_stamp"}),
}


def _asterisk_layout(rows: list[tuple[int, list[str]]]) -> Layout:
    line, cells = rows[0]
    count = len(cells)
    if count > 9 and cells[9].strip().lower() in ("start", "calldate", "start time"):
        raise FileError("The first line names the columns: choose the format “Header line”.")
    if count not in (16, 17, 18):
        raise FileError(f"Line {line} has {count} columns: Asterisk's cdr_csv writes 16 to Master.csv "
                        "(17 or 18 with loguniqueid or loguserfield in cdr.conf). Is this a Master.csv?")
    if not (_DATE.match(cells[9].strip()) and cells[13].strip().isdecimal()):
        raise FileError(f"Line {line} is not an Asterisk Master.csv row: its 10th column should be the start "
                        f"(“{cells[9][:30]}”) and its 14th the answered seconds (“{cells[13][:30]}”).")
    if count == 16:
        return ASTERISK["plain"]
    if count == 18:
        return ASTERISK["both"]
    # 17: the uniqueid ("1701345678.42") or the userfield (anything, often empty).
    last = [cells[16].strip() for _, cells in rows if len(cells) == 17]
    return ASTERISK["uniqueid"] if all(_UNIQUEID.match(value) for value in last) else ASTERISK["userfield"]


def _freeswitch_layout(rows: list[tuple[int, list[str]]]) -> Layout:
    line, cells = rows[0]
    if cells[0].lstrip().upper().startswith("INSERT INTO"):
        raise FileError("These are SQL statements (mod_cdr_csv's “sql” template), not CSV: use the "
                        "“example” template.")
    for layout in FREESWITCH.values():
        if len(layout.columns) == len(cells) and _fits(layout, cells):
            return layout
    shipped = ", ".join(f"{name} ({len(layout.columns)} columns)" for name, layout in FREESWITCH.items())
    raise FileError(f"Line {line} has {len(cells)} columns and fits none of FreeSWITCH mod_cdr_csv's shipped "
                    f"templates (cdr_csv.conf.xml: {shipped}). For a template of your own, write a header "
                    "line with the column names and choose the format “Header line”.")


def _fits(layout: Layout, cells: list[str]) -> bool:
    def value(name):
        return cells[layout.index(name)].strip()

    start = next(name for name, used in layout.fields.items() if used == "started_at")
    return bool(_UUID.match(value("uuid")) and value("billsec").isdecimal()
                and (_DATE.match(value(start)) or (not value(start) and "started_at" in layout.fallbacks)))


@dataclass(frozen=True)
class Format:
    key: str
    label: str
    has_header: bool
    billsec: Callable[[str], int]
    layout: Callable[[list], Layout] | None = None  # files without a header line: which template
    fields: tuple = tuple(HEADER_FIELDS)


FORMATS = {f.key: f for f in (
    Format("header", "Header line (the first line names the columns)", True, billsec_cell),
    Format("asterisk", "Asterisk Master.csv (cdr_csv, no header line)", False, billsec_cell, _asterisk_layout),
    Format("freeswitch", "FreeSWITCH mod_cdr_csv (a shipped template, no header line)", False, billsec_cell,
           _freeswitch_layout),
    Format("kamailio", "Kamailio acc_cdrs export (with its header line)", True, fractional_seconds_cell,
           fields=tuple(KAMAILIO_FIELDS)),
)}
FORMAT_CHOICES = [(f.key, f.label) for f in FORMATS.values()]


def read_columns(stream: BinaryIO, file_format: str, *, overrides: dict[int, str] | None = None,
                 mapping: list[str] | tuple = ()) -> tuple[CDRColumns, Iterator[tuple[int, list[str]]]]:
    """The file's columns as matched, and its rows. ``overrides``: column -> field (the preview's
    choices); ``mapping``: ``--map FIELD=COLUMN`` options. Raises FileError (the file as a whole),
    OptionError (a --map naming no field or column)."""
    fmt = FORMATS[file_format]
    table = read_table(stream, has_header=fmt.has_header)
    first = list(islice(table.rows, PEEK))
    rows = chain(first, table.rows)
    if fmt.has_header:
        header, base, name, fallbacks = table.header, None, "Header line", {}
        if file_format == "kamailio":
            name = "Kamailio acc_cdrs export"
    else:
        if not first:
            raise FileError("The file has no rows.")
        layout = fmt.layout(first)
        header, name = list(layout.columns), layout.name
        base = {index: layout.fields.get(column, IGNORE) for index, column in enumerate(header)}
        fallbacks = {f: layout.index(column) for f, column in layout.fallbacks.items()}
    fields = list(fmt.fields)
    if mapping:
        overrides = {**(overrides or {}), **Matcher(fields).overrides_from_options(header, list(mapping))}
    columns = match_columns(header, fields, base=base, overrides=overrides, layout=name,
                            has_header=fmt.has_header, fallbacks=fallbacks)
    columns.samples = [cells for _, cells in first[:SAMPLES]]
    return columns, rows

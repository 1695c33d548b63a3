"""Which file column is which field: by header name, never by position, with the
admin's corrections on top. Shared by the DID import and the CDR import.

Each field has aliases in order of preference. Header names are compared loosely
(``loose``: lower case, letters and digits only, a trailing "(USD)" or "(Sec.)"
ignored). When two columns match one field (a FreePBX export has both ``did``
and ``dst``; a FreeSWITCH one both ``start_epoch`` and ``start_stamp``), the one
whose alias comes first wins and the match says which (``Match.notes``); two
columns with the same name are left for the admin to choose (``Match.problems``).

Corrections (``overrides``: column index -> field name, or "" to ignore the column)
come from the browser preview's column choices and from ``--map FIELD=COLUMN`` on
the command line (``overrides_from_options``).
"""

import re
from dataclasses import dataclass, field

_UNIT = re.compile(r"\((usd|sec\.?|seconds?)\)\s*$", re.I)
_NOT_ALNUM = re.compile(r"[^a-z0-9/]")
IGNORE = ""  # the "field" of a column that is not used


def loose(header: str) -> str:
    """'MonthlyFee (USD)' -> 'monthlyfee'; 'Cost/Min(USD)' -> 'cost/min'; 'grace_time' -> 'gracetime'."""
    return _NOT_ALNUM.sub("", _UNIT.sub("", header.strip().lstrip("\ufeff")).lower())


@dataclass(frozen=True)
class Field:
    name: str  # the value's key ("number")
    label: str  # what pages call it ("DID")
    aliases: tuple[str, ...] = ()  # header names, preferred first; the label and the name come before them
    required: bool = False


class OptionError(ValueError):
    """A --map option that names no field or no column; the message says which."""


@dataclass
class Match:
    header: list[str]
    positions: dict[str, int]  # field name -> column index
    used_as: list[str]  # per column: the field it feeds, or IGNORE
    chosen: dict[str, str]  # field name -> how its column was chosen: "named", "preferred", "chosen"
    passed_over: dict[str, list[int]] = field(default_factory=dict)  # field -> other columns that also matched it
    problems: list[str] = field(default_factory=list)  # what the admin must settle before anything is written
    missing: list[str] = field(default_factory=list)  # labels of required fields without a column (or a default)

    @property
    def complete(self) -> bool:
        return not self.problems and not self.missing

    @property
    def ignored(self) -> list[str]:
        """Names of the columns not used."""
        return [name.strip() for name, used in zip(self.header, self.used_as) if not used and name.strip()]

    def column_name(self, index: int) -> str:
        name = self.header[index].strip() if index < len(self.header) else ""
        return name or f"column {index + 1}"


class Matcher:
    """The fields of one kind of file, and how their columns are found."""

    def __init__(self, fields: list[Field]):
        self.fields = {f.name: f for f in fields}
        self._lookup: dict[str, tuple[str, int]] = {}  # loose alias -> (field, rank: 0 is preferred)
        for f in fields:
            for rank, alias in enumerate((f.label, f.name) + f.aliases):
                self._lookup.setdefault(loose(alias), (f.name, rank))

    def field_of(self, header_name: str) -> str | None:
        found = self._lookup.get(loose(header_name))
        return found[0] if found else None

    def label(self, name: str) -> str:
        return self.fields[name].label

    def match(self, header: list[str], overrides: dict[int, str] | None = None,
              has_default: frozenset | set = frozenset()) -> Match:
        """``overrides``: the admin's choices by column; ``has_default``: fields that need no
        column (a value was given for every row)."""
        overrides = {i: f for i, f in (overrides or {}).items() if 0 <= i < len(header)}
        used_as = [IGNORE] * len(header)
        positions: dict[str, int] = {}
        chosen: dict[str, str] = {}
        problems: list[str] = []
        for index, name in sorted(overrides.items()):
            if name == IGNORE:
                continue
            if name not in self.fields:
                raise OptionError(f"No field named {name}.")
            if name in positions:
                problems.append(f"{self.label(name)}: two columns were chosen, "
                                f"“{_name(header, positions[name])}” and “{_name(header, index)}”.")
                continue
            positions[name], used_as[index], chosen[name] = index, name, "chosen"
        candidates: dict[str, list[tuple[int, int]]] = {}  # field -> [(rank, column)]
        for index, name in enumerate(header):
            if index in overrides or not name.strip():
                continue
            found = self._lookup.get(loose(name))
            if found and found[0] not in positions:
                candidates.setdefault(found[0], []).append((found[1], index))
        passed_over: dict[str, list[int]] = {}
        for name, found in candidates.items():
            found.sort()
            (rank, best), rest = found[0], found[1:]
            ties = [index for r, index in rest if r == rank]
            if ties:
                problems.append(f"{self.label(name)}: {len(ties) + 1} columns are named “{header[best].strip()}”; "
                                "choose the one to use.")
                continue
            positions[name], used_as[best] = best, name
            chosen[name] = "preferred" if rest else "named"
            if rest:
                passed_over[name] = [index for _, index in rest]
        missing = [f.label for f in self.fields.values()
                   if f.required and f.name not in positions and f.name not in has_default]
        return Match(list(header), positions, used_as, chosen, passed_over, problems, missing)

    def notes(self, match: Match) -> list[str]:
        """What the admin should know about the matching: preferences applied, columns chosen."""
        notes = []
        for name, others in match.passed_over.items():
            names = ", ".join(f"“{match.column_name(i)}”" for i in others)
            notes.append(f"{self.label(name)}: column “{match.column_name(match.positions[name])}” is used, "
                         f"not {names} (the preferred name; choose another below if that is wrong).")
        return notes

    def overrides_from_options(self, header: list[str], options: list[str]) -> dict[int, str]:
        """``--map FIELD=COLUMN`` options as overrides. FIELD: a field's name or label
        ("number", "DID", "MonthlyFee"); COLUMN: a header name or a 1-based column number,
        or nothing to use no column for the field."""
        overrides: dict[int, str] = {}
        for option in options:
            target, sep, column = option.partition("=")
            if not sep:
                raise OptionError(f"--map {option}: write FIELD=COLUMN, e.g. number=did.")
            name = self.field_named(target)
            if not column.strip():  # FIELD=: no column feeds it
                for index, header_name in enumerate(header):
                    if self.field_of(header_name) == name:
                        overrides[index] = IGNORE
                continue
            index = _column_index(header, column)
            if index is None:
                where = f"1 to {len(header)}" if header else "a number"
                raise OptionError(f"--map {option}: the file has no column “{column}” (a header name or {where}).")
            overrides[index] = name
        return overrides

    def field_named(self, text: str) -> str:
        wanted = loose(text)
        for f in self.fields.values():
            if wanted in (loose(f.name), loose(f.label)):
                return f.name
        found = self._lookup.get(wanted)
        if found:
            return found[0]
        raise OptionError(f"--map {text}=…: no field named “{text}”; one of "
                          f"{', '.join(f.name for f in self.fields.values())}.")


def _name(header: list[str], index: int) -> str:
    return header[index].strip() or f"column {index + 1}"


def _column_index(header: list[str], column: str) -> int | None:
    text = column.strip()
    wanted = loose(text)
    for index, name in enumerate(header):
        if name.strip() == text or (wanted and loose(name) == wanted):
            return index
    if text.isdigit() and 1 <= int(text) <= len(header):
        return int(text) - 1
    return None

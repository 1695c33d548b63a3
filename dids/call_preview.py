"""The call cost preview on a DID's pages (issue 7): what calls of 10 s, 30 s, 60 s,
5 min and a typed duration cost, at one or more sets of rates, priced by
dids.rating.call_cost (the same function the CDR import charges with).

The typed duration is a GET field (``seconds``): a preview changes nothing.
"""

from dataclasses import dataclass
from decimal import Decimal

from django import forms

from dids.rating import Rates, call_cost
from core.forms import WholeNumberField

FIXED = ((10, "10 s"), (30, "30 s"), (60, "60 s"), (300, "5 min"))
MAX_SECONDS = 86400


MESSAGE = f"Enter whole seconds from 0 to {MAX_SECONDS}, e.g. 47."


class _Seconds(WholeNumberField):
    """One message for every bad input: text, decimals, negative, too long."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError(MESSAGE, code="invalid")


class DurationForm(forms.Form):
    seconds = _Seconds(label="Duration (Sec.)", min_value=0, max_value=MAX_SECONDS, required=False,
                       error_messages={"min_value": MESSAGE, "max_value": MESSAGE})


@dataclass(frozen=True)
class PreviewRow:
    label: str
    seconds: int
    costs: list[Decimal]
    typed: bool = False


@dataclass(frozen=True)
class Preview:
    columns: list[str]  # e.g. ["You pay", "Your buyers pay"]
    rows: list[PreviewRow]
    form: DurationForm
    keep: dict  # other GET parameters of the page, carried by the preview's form


def call_preview(query, columns: list[tuple[str, Rates]], keep: tuple[str, ...] = ()) -> Preview:
    """The preview for ``columns`` (heading, rates) and the page's GET parameters ``query``.
    An invalid typed duration shows its error; the fixed rows are always there."""
    form = DurationForm(query if "seconds" in query else None)
    durations = [(seconds, label, False) for seconds, label in FIXED]
    if form.is_bound and form.is_valid() and form.cleaned_data["seconds"] is not None:
        typed = form.cleaned_data["seconds"]
        durations.append((typed, f"{typed} s", True))
    rows = [PreviewRow(label, seconds, [call_cost(seconds, rates) for _, rates in columns], typed)
            for seconds, label, typed in durations]
    kept = {name: query[name] for name in keep if query.get(name)}
    return Preview([heading for heading, _ in columns], rows, form, kept)

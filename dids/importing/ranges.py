"""A block of consecutive numbers as rows of the import pipeline."""

from django.conf import settings
from django.core.exceptions import ValidationError

from core.importing.rows import RowError
from dids.importing.pipeline import Report, Source, run
from dids.models import DIDImport
from dids.numbers import normalize_did


def range_numbers(first: str, last: str | None, count: int | None) -> list[str]:
    """first..last inclusive, or ``count`` numbers from first (E.164 in and out).
    Raises ValidationError (for the form) when the block is not a usable range."""
    cap = settings.DID_RANGE_MAX
    first, last = first.lstrip("+"), (last or "").lstrip("+")
    start = int(first)
    if last:
        if len(last) != len(first):
            raise ValidationError("The last number must have as many digits as the first.", code="length")
        end = int(last)
        if end < start:
            raise ValidationError("The last number must not be before the first.", code="order")
        count = end - start + 1
    if not count or count < 1:
        raise ValidationError("Give the last number or how many numbers to create.", code="required")
    if count > cap:
        raise ValidationError(f"A range is at most {cap:,} numbers; this one has {count:,}.", code="cap")
    if len(str(start + count - 1)) != len(first):
        raise ValidationError("The range would run past the last number of that length.", code="overflow")
    return [f"+{n}" for n in range(start, start + count)]


def range_source(numbers: list[str], product: dict) -> Source:
    """One row per number with the product's values; a number that is not a
    possible phone number (a block can cross into one) is reported, not created."""
    def values(cells):
        number = cells[0]
        try:
            canonical = normalize_did(number)
        except ValidationError as error:
            raise RowError(f"DID: {error.messages[0]}") from None
        if canonical != number:
            raise RowError(f"DID: {number} is written {canonical} in E.164; not part of this block.")
        return dict(product, number=number)

    return Source(((i, [n]) for i, n in enumerate(numbers, start=1)), values, 0, ["DID"])


def import_range(first: str, last: str | None, count: int | None, product: dict, *, write: bool,
                 errors_path=None, by=None) -> tuple[str, Report]:
    """Preview or create a range as one import; returns its label ("+1855... – +1855...")
    and the report. Raises ValidationError for a block that is not a usable range."""
    numbers = range_numbers(first, last, count)
    label = f"{numbers[0]} – {numbers[-1]}"
    record = {"source": DIDImport.Source.RANGE, "filename": label, "provider_id": product["provider"]}
    report = run(range_source(numbers, product), errors_path=errors_path, write=write, record=record, by=by)
    return label, report

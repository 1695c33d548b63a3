"""manage.py import_dids FILE: the browser import for large files and scripts.

Shows how the columns are matched and the preview (counts, how numbers were read,
first rejected rows), asks before writing (unless --yes), writes the valid rows in
one transaction and every rejected row, with its line number and reason, to an
error CSV.

Exit codes: 0 when every row was imported or already was (a number that already
exists counts as imported); 2 when rows were rejected (how many, and the error
file, on stderr); 1 on errors (one line: the file, --errors, --map, --default,
--country, --prices).
"""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.db_timeouts import long_running
from core.progress import ProgressBar, add_progress_option
from dids.import_forms import DEFAULT_FIELDS
from dids.importing.cells import PARSERS, country_cell
from dids.importing.columns import LABEL, PRICES, matcher, prices_question
from dids.importing.csv_file import Choices, earlier_import, import_csv, inspect_csv, preview_csv
from core.importing.rows import RowError, checksum
from core.importing.matching import OptionError
from core.importing.reader import FileError
from core.importing.uploads import import_errors_path
from dids.models import Provider

REJECTED = 2  # exit code: rows were rejected (they are in the error file)


class Command(BaseCommand):
    help = ("Import DIDs from a CSV file (the columns of Export CSV or a carrier's, by header name). "
            "Exit code 0: every row imported or already there; 2: rows rejected; 1: error.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--provider", default=settings.DEFAULT_PROVIDER_NAME,
                            help="Provider for rows without one (name or account number).")
        parser.add_argument("--country", default="",
                            help="Country for numbers without one (ISO code or name): national numbers such as "
                                 "(855) 580-1803 are read in it, and rows without a Country get it when their "
                                 "number is of that country.")
        parser.add_argument("--default", action="append", default=[], metavar="FIELD=VALUE",
                            help=f"A value for rows without their own; FIELD one of {', '.join(DEFAULT_FIELDS)}. "
                                 "Repeatable.")
        parser.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                            help="Use this column (header name or 1-based number) for FIELD; FIELD= uses none. "
                                 "Repeatable.")
        parser.add_argument("--prices", choices=PRICES,
                            help="Whose are the file's carrier price columns (MRC, NRC...): the provider's cost "
                                 "(MRC -> Buy Cost; NRC not imported) or our sell price (MRC -> MonthlyFee, "
                                 "NRC -> Setup Fee). Required when the file has such columns.")
        parser.add_argument("--dry-run", action="store_true", help="Only check the file and show what would happen.")
        parser.add_argument("--yes", action="store_true", help="Import without asking.")
        parser.add_argument("--errors", type=Path, help="Write the rejected rows here (default: next to the file).")
        add_progress_option(parser)

    @long_running
    def handle(self, *args, file: Path, provider: str, country: str, default: list[str], map: list[str],
               prices: str | None, dry_run: bool, yes: bool, errors: Path | None, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        found = Provider.objects.filter(name__iexact=provider).first() or Provider.objects.filter(number=provider).first()
        if found is None:
            raise CommandError(f"No provider named {provider!r}.")
        errors = errors or file.with_name(file.stem + ".errors.csv")
        bar = ProgressBar.for_command(self, options, unit="rows")
        try:
            choices = Choices(country=_country(country), defaults=_defaults(default), prices=prices or "")
            if map:
                header = inspect_csv(file, choices=choices).header
                choices.overrides = matcher(choices.prices).overrides_from_options(header, map)
            plan = inspect_csv(file, choices=choices).plan
            self._show_columns(plan)
            if not plan.complete:
                raise CommandError(_questions(plan))
            if dry_run or not yes:
                with bar:  # its line ends before the preview is printed
                    report = preview_csv(file, default_provider=found, choices=choices, errors_path=errors,
                                         progress=bar.callback).report
                self._show(report, "would be created")
                if not dry_run and report.new:
                    before = earlier_import(checksum(file))
                    if before:
                        self.stdout.write(f"This file was imported before as Import #{before.pk} "
                                          f"({before.created_at:%Y-%m-%d %H:%M}).")
                    if not self._confirm(report.new):
                        raise CommandError("Nothing was imported.")
            if not dry_run and (yes or report.new):
                with bar:
                    report = import_csv(file, default_provider=found, choices=choices, write=True,
                                        errors_path=errors, progress=bar.callback)
                self._show(report, "created")
        except (FileError, OptionError) as error:
            raise CommandError(str(error)) from None
        except OSError as error:  # the file cannot be read (permissions, a folder...): one line
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        if report.import_record:
            import_errors_path(report.import_record.pk).write_bytes(errors.read_bytes())
            self.stdout.write(self.style.SUCCESS(
                f"Import #{report.import_record.pk}: undo with the admin's Imports page while none is sold."))
        if not report.rejected:
            errors.unlink(missing_ok=True)
        if report.not_imported:
            kinds = [f"{n:,} {what}" for n, what in ((report.invalid, "invalid"),
                                                      (report.repeated, "repeated in the file")) if n]
            raise CommandError(f"{report.not_imported:,} row{'s' if report.not_imported != 1 else ''} "
                               f"{'would not be' if dry_run else 'not'} imported ({', '.join(kinds)}): see {errors}",
                               returncode=REJECTED)

    def _show_columns(self, plan) -> None:
        used = [f"{plan.match.column_name(i)} -> {LABEL[name]}" for i, name in enumerate(plan.used_as) if name]
        self.stdout.write(f"Columns: {'; '.join(used) or 'none used'}.")
        if plan.ignored:
            self.stdout.write(f"Not used: {', '.join(plan.ignored)}.")
        for note in plan.notes:
            self.stdout.write(f"Note: {note}")

    def _show(self, report, verb: str) -> None:
        self.stdout.write(f"Rows read: {report.rows_read:,}; {verb}: {report.new:,}; "
                          f"duplicates: {report.duplicates:,}; invalid: {report.invalid:,}.")
        readings = report.readings
        if readings is not None and (readings.national or readings.ambiguous or readings.mismatched):
            self.stdout.write(f"Numbers read as national numbers of their country: {readings.national:,}; "
                              f"ambiguous (national reading taken): {readings.ambiguous:,}; "
                              f"Country not of the number's calling code: {readings.mismatched:,}.")
            for row in readings.ambiguous_rows + readings.mismatched_rows:
                self.stdout.write(f"  line {row.line}: “{row.typed}” {row.note}")
        for rejected in report.first_errors[:10]:
            self.stdout.write(f"  line {rejected.line}: {rejected.reason}")
        if report.rejected:
            self.stdout.write(f"All {report.rejected:,} rejected rows, with line numbers: see the error file.")

    def _confirm(self, count: int) -> bool:
        if not sys.stdin.isatty():
            raise CommandError("Not a terminal: add --yes to import, or --dry-run to only check.")
        return input(f"Create {count:,} DIDs? [y/N] ").strip().lower() in {"y", "yes"}


def _country(text: str) -> str:
    if not text.strip():
        return ""
    try:
        return country_cell(text.strip())
    except RowError:
        raise CommandError(f"--country {text}: neither a two-letter ISO code (US) nor a country name.") from None


def _defaults(options: list[str]) -> dict:
    """--default FIELD=VALUE options, read as the file's cells are (the Create Product form's limits)."""
    defaults = {}
    for option in options:
        target, sep, value = option.partition("=")
        try:
            name = matcher().field_named(target) if sep else None
        except OptionError:
            name = None
        if name not in DEFAULT_FIELDS:
            raise CommandError(f"--default {option}: write FIELD=VALUE with FIELD one of {', '.join(DEFAULT_FIELDS)}.")
        try:
            defaults[name] = PARSERS[False][name](value.strip())
        except RowError as error:
            raise CommandError(f"--default {option}: {error}") from None
    return defaults


def _questions(plan) -> str:
    """One line: what the file needs before it can be imported, with the options that settle it."""
    parts = list(plan.problems)
    if plan.needs_prices:
        parts.append(f"--prices cost|sell is needed: {prices_question(plan.price_columns)}")
    for label in plan.missing:
        name = next(n for n, shown in LABEL.items() if shown == label)
        hint = f" or --default {name}=AMOUNT" if name in DEFAULT_FIELDS else ""
        parts.append(f"No column is used as {label}: add --map {name}=COLUMN{hint}.")
    return " ".join(parts)


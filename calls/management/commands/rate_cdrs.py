"""manage.py rate_cdrs FILE: rate and charge a CDR file (the browser's CDR import, for
cron and large files). Idempotent by call id: running it twice charges nothing twice.

Exit status (docs/cdr-import.md): 0 when every row was charged or already was (other
legs of a charged call included); 2 when rows were rejected (the output says how many
and where they are); 1 on an error, one line, nothing charged."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.db_timeouts import long_running
from calls.importing.cells import read_country, read_zone
from calls.importing.files import store_errors
from calls.importing.formats import FORMATS
from calls.importing.pipeline import rate_cdr_file
from calls.models import CallImport
from core.importing.matching import OptionError
from core.importing.reader import FileError
from core.progress import ProgressBar, add_progress_option

REJECTED = 2


class Command(BaseCommand):
    help = ("Rate inbound calls from a switch's CDR file and charge every level of each DID's chain. "
            "Exit status: 0 all charged (or already), 2 rows rejected, 1 error.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", dest="file_format", choices=list(FORMATS), default="header",
                            help="header: the first line names the columns (default); asterisk: Master.csv of "
                                 "cdr_csv; freeswitch: a shipped mod_cdr_csv template; kamailio: acc_cdrs "
                                 "exported with its header line.")
        parser.add_argument("--timezone", dest="time_zone", metavar="ZONE",
                            help="IANA zone of times written without a UTC offset, e.g. Europe/Berlin "
                                 "(default: CDR_TIME_ZONE).")
        parser.add_argument("--country", metavar="XX",
                            help="Read DIDs without a calling code as national numbers of this country "
                                 "(e.g. US for a switch that writes 10 digits).")
        parser.add_argument("--map", dest="mapping", action="append", default=[], metavar="FIELD=COLUMN",
                            help="Use COLUMN (a header name or a 1-based number) for FIELD (call_id, started_at, "
                                 "number, billsec, channel); repeatable.")
        parser.add_argument("--dry-run", action="store_true", help="Only check and rate; charge nothing.")
        parser.add_argument("--errors", type=Path,
                            help="Also write the rejected rows here (default: next to the file).")
        add_progress_option(parser)

    @long_running
    def handle(self, *args, file: Path, file_format: str, time_zone, country, mapping, dry_run: bool,
               errors: Path | None, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}" if not file.exists() else f"Not a file: {file}")
        try:
            zone, country = read_zone(time_zone), read_country(country)
        except ValueError as error:
            raise CommandError(str(error)) from None
        errors = errors or file.with_name(file.stem + ".errors.csv")
        if errors.resolve() == file.resolve():
            raise CommandError(f"--errors {errors} is the CDR file itself.")
        try:
            with ProgressBar.for_command(self, options, unit="rows") as bar:
                report = rate_cdr_file(file, write=not dry_run, errors_path=errors, source=CallImport.Source.COMMAND,
                                       file_format=file_format, time_zone=zone.key, country=country, mapping=mapping,
                                       progress=bar.callback)
        except (FileError, OptionError) as error:
            raise CommandError(str(error)) from None
        self._print(report, dry_run, errors)
        if report.import_record:
            try:
                store_errors(report, errors)
            except OSError as error:
                raise CommandError(f"Import #{report.import_record.pk} is done, but its rejected rows could not be "
                                   f"kept for its page: {error.strerror} ({error.filename}).") from None
        if report.invalid:
            raise CommandError(f"{report.invalid:,} row{'s' if report.invalid != 1 else ''} rejected, not charged: "
                               f"{errors}", returncode=REJECTED)

    def _print(self, report, dry_run: bool, errors: Path) -> None:
        out = self.stdout.write
        out(f"Format: {report.layout}.")
        for note in report.columns.notes:
            out(f"  {note}")
        if report.first_call:
            out(f"Times without an offset read in {report.time_zone}; first call {_local(report.first_call, report)}, "
                f"last call {_local(report.last_call, report)}.")
        if report.country:
            out(f"DIDs without a calling code read as numbers of {report.country}.")
        verb = "would be charged" if dry_run else "charged"
        out(f"Rows read: {report.rows_read:,}; calls {verb}: {report.charged:,} "
            f"(first holders pay {report.total:.4f}); already charged: {report.already_charged:,}; "
            f"other legs: {report.other_legs:,}; rejected: {report.invalid:,}.")
        if report.answered_later:
            out(f"  {report.answered_later:,} of these calls were stored unanswered before and are charged now.")
        if report.ignored_columns:
            out(f"Ignored columns: {', '.join(report.ignored_columns)}")
        for rejected in report.first_errors[:10]:
            out(f"  line {rejected.line}: {rejected.reason}")
        if report.invalid:
            out(f"All {report.invalid:,} rejected rows, with line numbers and reasons: {errors}")
        else:
            errors.unlink(missing_ok=True)
        if report.import_record:
            out(self.style.SUCCESS(f"CDR import #{report.import_record.pk}: {report.ledger_lines:,} statement "
                                   "lines written."))


def _local(moment, report) -> str:
    return moment.astimezone(read_zone(report.time_zone)).strftime("%Y-%m-%d %H:%M:%S %Z")

"""manage.py rate_cdrs FILE: rate and charge a CDR file (the browser's CDR import, for
cron and large files). Idempotent by call id: running it twice charges nothing twice."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing_portal.db_timeouts import long_running
from calls.importing.files import store_errors
from calls.importing.pipeline import rate_cdr_file
from calls.models import CallImport
from dids.importing.reader import FileError


class Command(BaseCommand):
    help = "Rate inbound calls from a CSV of CDRs (Call ID, Start, DID, Answered Seconds) and charge every level."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Only check and rate; charge nothing.")
        parser.add_argument("--errors", type=Path, help="Also write the rejected rows here (default: next to the file).")

    @long_running
    def handle(self, *args, file: Path, dry_run: bool, errors: Path | None, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        errors = errors or file.with_name(file.stem + ".errors.csv")
        try:
            report = rate_cdr_file(file, write=not dry_run, errors_path=errors, source=CallImport.Source.COMMAND)
        except FileError as error:
            raise CommandError(str(error)) from None
        verb = "would be charged" if dry_run else "charged"
        self.stdout.write(f"Rows read: {report.rows_read:,}; calls {verb}: {report.charged:,} "
                          f"(first holders pay {report.total:.4f}); already charged: {report.already_charged:,}; "
                          f"rejected: {report.invalid:,}.")
        if report.ignored_columns:
            self.stdout.write(f"Ignored columns: {', '.join(report.ignored_columns)}")
        for rejected in report.first_errors[:10]:
            self.stdout.write(f"  line {rejected.line}: {rejected.reason}")
        if report.invalid:
            self.stdout.write(f"All {report.invalid:,} rejected rows, with line numbers and reasons: {errors}")
        else:
            errors.unlink(missing_ok=True)
        if report.import_record:
            store_errors(report, errors)
            self.stdout.write(self.style.SUCCESS(
                f"CDR import #{report.import_record.pk}: {report.ledger_lines:,} statement lines written."))

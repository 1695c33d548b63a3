"""manage.py import_dids FILE: the browser import for large files and scripts.

Shows the preview (counts and first rejected rows), asks before writing (unless
--yes), writes the valid rows in one transaction and every rejected row, with
its line number and reason, to an error CSV.
"""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from billing_portal.db_timeouts import long_running
from dids.importing.csv_file import checksum, earlier_import, import_csv
from dids.importing.reader import FileError
from dids.importing.uploads import import_errors_path
from dids.models import Provider


class Command(BaseCommand):
    help = "Import DIDs from a CSV file (the columns of Export CSV; header names, not positions)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--provider", default=settings.DEFAULT_PROVIDER_NAME,
                            help="Provider for rows without one (name or account number).")
        parser.add_argument("--dry-run", action="store_true", help="Only check the file and show what would happen.")
        parser.add_argument("--yes", action="store_true", help="Import without asking.")
        parser.add_argument("--errors", type=Path, help="Write the rejected rows here (default: next to the file).")

    @long_running
    def handle(self, *args, file: Path, provider: str, dry_run: bool, yes: bool, errors: Path | None, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        default = Provider.objects.filter(name__iexact=provider).first() or Provider.objects.filter(number=provider).first()
        if default is None:
            raise CommandError(f"No provider named {provider!r}.")
        errors = errors or file.with_name(file.stem + ".errors.csv")
        try:
            if dry_run or not yes:
                report = import_csv(file, default_provider=default, write=False, errors_path=errors)
                self._show(report, "would be created")
                before = earlier_import(checksum(file))
                if before:
                    self.stdout.write(f"This file was imported before as Import #{before.pk} ({before.created_at:%Y-%m-%d %H:%M}).")
                if dry_run or not report.new or not self._confirm(report.new):
                    return
            report = import_csv(file, default_provider=default, write=True, errors_path=errors, by=None)
        except FileError as error:
            raise CommandError(str(error)) from None
        self._show(report, "created")
        if report.import_record:
            import_errors_path(report.import_record.pk).write_bytes(errors.read_bytes())
            self.stdout.write(self.style.SUCCESS(
                f"Import #{report.import_record.pk}: undo with the admin's Imports page while none is sold."))
        if not report.rejected:
            errors.unlink(missing_ok=True)

    def _show(self, report, verb: str) -> None:
        self.stdout.write(f"Rows read: {report.rows_read:,}; {verb}: {report.new:,}; "
                          f"duplicates: {report.duplicates:,}; invalid: {report.invalid:,}.")
        if report.ignored_columns:
            self.stdout.write(f"Ignored columns: {', '.join(report.ignored_columns)}")
        for rejected in report.first_errors[:10]:
            self.stdout.write(f"  line {rejected.line}: {rejected.reason}")
        if report.rejected:
            self.stdout.write(f"All {report.rejected:,} rejected rows, with line numbers: see the error file.")

    def _confirm(self, count: int) -> bool:
        if not sys.stdin.isatty():
            raise CommandError("Not a terminal: add --yes to import, or --dry-run to only check.")
        return input(f"Create {count:,} DIDs? [y/N] ").strip().lower() in {"y", "yes"}

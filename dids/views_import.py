"""Admin pages of bulk creation: CSV import and ranges (preview, confirm),
the list of imports, an import's report, its error file, and undo.

A preview waits in the admin's session (the uploaded file in DID_IMPORT_DIR) with
the choices it was made with: the settings, the columns' matching and the answer
about prices. Check again (POST) makes it again with the admin's changes; Confirm
(POST) writes exactly what the last preview showed. The pipeline (dids/importing/)
does the work.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.generic import FormView, TemplateView, View
from django_tasks.base import TaskResultStatus

from accounts.permissions import AdminRequiredMixin
from core.csv_stream import csv_file_download
from core.forms import ColumnMatchForm
from core.listing import paginate
from dids.import_forms import DIDImportForm, DIDRangeForm, ImportSettingsForm
from core.importing import uploads
from dids.importing import queued
from dids.importing.columns import FIELD_CHOICES
from core.importing.pending import PendingPreviews
from dids.importing.csv_file import Preview, earlier_import, import_csv, inspect_csv, preview_csv
from core.importing.rows import checksum
from dids.importing.pipeline import Report
from dids.importing.ranges import import_range
from core.importing.reader import FileError
from dids.importing.undo import UndoRefused, sold_count, undo_import
from dids.models import DID, DIDImport

PENDING = PendingPreviews("did_import_pending")  # token -> what the preview was made from
REFRESH_SECONDS = 2  # the progress page of a background import reloads itself


def _preview(request, token: str, report: Report | None, title: str, **extra):
    return render(request, "dids/import_preview.html", dict(report=report, token=token, title=title, **extra))


def _csv_preview(request, token: str, result: Preview, filename: str, settings_form: ImportSettingsForm,
                 match_data=None):
    """The preview of a file: what the rows become (when nothing is left to settle), how the
    columns are matched (changeable; ``match_data``: the choices as posted, shown again), the
    settings, Check again."""
    match_form = ColumnMatchForm(match_data, header=result.header, used_as=result.plan.used_as, fields=FIELD_CHOICES,
                                 samples=result.samples)
    path = uploads.upload_path(token)
    return _preview(request, token, result.report, f"Import {filename}", plan=result.plan, match_form=match_form,
                    settings_form=settings_form, decimal_comma=result.decimal_comma,
                    earlier=earlier_import(checksum(path)) if result.report is not None else None)


def _pending_csv(filename: str, settings_form: ImportSettingsForm, overrides: dict[int, str], result: Preview) -> dict:
    # Confirm reads the file with every column as this preview used it (used_as), whatever the choices were.
    return {"kind": "csv", "filename": filename, "settings": settings_form.kept(),
            "overrides": {str(i): name for i, name in overrides.items()}, "used_as": result.plan.used_as,
            "ready": result.report is not None}


class ImportView(AdminRequiredMixin, FormView):
    form_class = DIDImportForm
    template_name = "dids/import_form.html"

    def form_valid(self, form):
        token = uploads.save_upload(form.cleaned_data["file"])
        path = uploads.upload_path(token)
        try:
            result = preview_csv(path, default_provider=form.cleaned_data["provider"], choices=form.choices(),
                                 errors_path=uploads.preview_errors_path(token))
        except FileError as error:
            uploads.forget(token)
            form.add_error("file", str(error))
            return self.form_invalid(form)
        name = form.cleaned_data["file"].name
        PENDING.remember(self.request, token, _pending_csv(name, form, {}, result))
        return _csv_preview(self.request, token, result, name, ImportSettingsForm(initial=form.kept()))


class ImportCheckView(AdminRequiredMixin, View):
    """POST: the preview again with the admin's column choices, answer and settings."""

    def post(self, request, token):
        pending = PENDING.get(request, token)
        if pending["kind"] != "csv" or "settings" not in pending:  # a range, or a preview from before the choices
            raise Http404("Not a file's preview")
        path = uploads.upload_path(token)
        overrides = {int(i): name for i, name in pending["overrides"].items()}
        settings_form = ImportSettingsForm(request.POST)
        try:
            if not settings_form.is_valid():
                # Nothing is checked with values the form refuses: the last matching, the errors, no Confirm.
                kept = ImportSettingsForm(pending["settings"])
                choices = kept.choices(overrides) if kept.is_valid() else None
                result = inspect_csv(path, choices=choices)
                return _csv_preview(request, token, result, pending["filename"], settings_form, request.POST)
            changed = _changed_columns(request.POST, pending["used_as"])
            overrides.update(changed)
            result = preview_csv(path, default_provider=settings_form.cleaned_data["provider"],
                                 choices=settings_form.choices(overrides),
                                 errors_path=uploads.preview_errors_path(token))
        except (FileError, FileNotFoundError) as error:
            PENDING.forget(request, token)
            messages.error(request, f"Nothing was imported: {error}")
            return redirect("dids:import")
        PENDING.remember(request, token, _pending_csv(pending["filename"], settings_form, overrides, result))
        return _csv_preview(request, token, result, pending["filename"], ImportSettingsForm(initial=settings_form.kept()))


def _changed_columns(data, used_as: list[str]) -> dict[int, str]:
    """The columns whose "Used as" the admin changed on the preview (the others keep following
    the file's names and the answer about prices)."""
    form = ColumnMatchForm(data, header=[""] * len(used_as), used_as=used_as, fields=FIELD_CHOICES)
    form.is_valid()  # a value that is no choice is left out of cleaned_data: the column stays as it was
    return {index: name for index, name in form.overrides().items()
            if f"column_{index}" in data and name != used_as[index]}


class RangeView(AdminRequiredMixin, FormView):
    form_class = DIDRangeForm
    template_name = "dids/range_form.html"

    def get_form_kwargs(self):
        return dict(super().get_form_kwargs(), instance=DID())

    def form_valid(self, form):
        token = uploads.new_token()
        try:
            label, report = _range(form, write=False, errors_path=uploads.preview_errors_path(token))
        except ValidationError as error:
            form.add_error("count" if error.code in {"cap", "required"} else "last", error)
            return self.form_invalid(form)
        data = {k: v for k, v in self.request.POST.items() if k != "csrfmiddlewaretoken"}
        PENDING.remember(self.request, token, {"kind": "range", "data": data})
        return _preview(self.request, token, report, f"Range {label}")


def _range(form: DIDRangeForm, **options):
    data = form.cleaned_data
    return import_range(data["first"], data["last"], data["count"], form.product(), **options)


class ImportConfirmView(AdminRequiredMixin, View):
    """POST: write what the preview showed (checked again: the database may have changed)."""

    def post(self, request, token):
        pending = PENDING.get(request, token)
        errors = uploads.preview_errors_path(token)
        try:
            if pending["kind"] == "csv":
                settings_form = ImportSettingsForm(pending.get("settings", {}))
                if not settings_form.is_valid():  # e.g. its provider was deactivated since
                    raise FileError("the settings of the preview are no longer valid; upload the file again.")
                if not pending.get("ready"):
                    raise FileError("the preview still has questions; answer them and Check again first.")
                if uploads.upload_path(token).stat().st_size >= queued.queue_from_bytes():
                    return _start_in_background(request, token, pending, settings_form)
                report = import_csv(
                    uploads.upload_path(token), default_provider=settings_form.cleaned_data["provider"],
                    choices=settings_form.choices(dict(enumerate(pending["used_as"]))),
                    write=True, errors_path=errors, source_kind=DIDImport.Source.BROWSER,
                    filename=pending["filename"], by=request.user,
                )
            else:
                form = DIDRangeForm(pending["data"], instance=DID())
                if not form.is_valid():
                    raise FileError("The range is no longer valid; enter it again.")
                report = _range(form, write=True, errors_path=errors, by=request.user)[1]
        except (FileError, ValidationError, FileNotFoundError) as error:
            PENDING.forget(request, token)
            messages.error(request, f"Nothing was imported: {error}")
            return redirect("dids:import")
        if report.import_record is None:
            PENDING.forget(request, token)
            messages.warning(request, f"Nothing was imported: none of the {report.rows_read:,} rows is new.")
            return redirect("dids:list")
        errors.replace(uploads.import_errors_path(report.import_record.pk))
        PENDING.forget(request, token)
        messages.success(request, _summary(report))
        return redirect("dids:import_detail", pk=report.import_record.pk)


def _summary(report: Report) -> str:
    return _summary_of(report.import_record.pk, report.new, report.duplicates, report.invalid)


def _summary_of(import_id: int, new: int, duplicates: int, invalid: int) -> str:
    text = f"Import #{import_id}: {new:,} DID{'s' if new != 1 else ''} created"
    skipped = [f"{n:,} {what}" for n, what in ((duplicates, "duplicate"), (invalid, "invalid")) if n]
    return text + (f"; {' and '.join(skipped)} rows not imported." if skipped else ".")


def _start_in_background(request, token: str, pending: dict, settings_form: ImportSettingsForm):
    """A large file: the worker imports it (dids/importing/queued.py); its progress page follows."""
    choices = settings_form.choices(dict(enumerate(pending["used_as"])))
    result = queued.import_in_background.enqueue(token, settings_form.cleaned_data["provider"].pk,
                                                 queued.choices_to_json(choices), pending["filename"], request.user.pk)
    if result.is_finished:  # no queue configured (settings.TASKS unset): it ran here and then
        return _finished(request, token, result)
    PENDING.remember(request, token, dict(pending, task=str(result.id)))
    return redirect("dids:import_progress", token=token)


def _finished(request, token: str, result):
    """Where a finished background import leads: its page, or why nothing was imported."""
    PENDING.forget(request, token)
    queued.forget(token)
    if result.status == TaskResultStatus.FAILED:
        messages.error(request, "Nothing was imported: the import failed. The worker's log says why.")
        return redirect("dids:import")
    done = result.return_value
    if "error" in done:
        messages.error(request, f"Nothing was imported: {done['error']}")
        return redirect("dids:import")
    if "import_id" not in done:
        messages.warning(request, f"Nothing was imported: none of the {done['rows_read']:,} rows is new.")
        return redirect("dids:list")
    messages.success(request, _summary_of(done["import_id"], done["new"], done["duplicates"], done["invalid"]))
    return redirect("dids:import_detail", pk=done["import_id"])


class ImportProgressView(AdminRequiredMixin, View):
    """GET: how far the worker is with a confirmed file (rows done, rate, time left), reloading
    itself; once it is done, the import's page, or why nothing was imported. Kept in the
    session, so a reload (or coming back later) finds it."""

    def get(self, request, token):
        pending = PENDING.get(request, token)
        if "task" not in pending:  # a preview not confirmed (yet)
            return redirect("dids:import")
        result = queued.import_in_background.get_result(pending["task"])
        if result.is_finished:
            return _finished(request, token, result)
        response = render(request, "dids/import_progress.html", {
            "token": token, "filename": pending["filename"], "progress": queued.read_progress(token),
            "started": result.status == TaskResultStatus.RUNNING})
        response["Refresh"] = str(REFRESH_SECONDS)  # a header, not a script: the CSP stays as it is
        return response


class ImportDiscardView(AdminRequiredMixin, View):
    def post(self, request, token):
        PENDING.get(request, token)
        PENDING.forget(request, token)
        messages.info(request, "Import cancelled; nothing was written.")
        return redirect("dids:list")


class PreviewErrorsView(AdminRequiredMixin, View):
    """The rejected rows of a preview, as CSV (a report: reading it changes nothing)."""

    def get(self, request, token):
        PENDING.get(request, token)
        return csv_file_download(uploads.preview_errors_path(token), "rejected-rows.csv")


class ImportErrorsView(AdminRequiredMixin, View):
    def get(self, request, pk):
        imported = get_object_or_404(DIDImport, pk=pk)
        return csv_file_download(uploads.import_errors_path(imported.pk), f"import-{imported.pk}-rejected-rows.csv")



class ImportListView(AdminRequiredMixin, TemplateView):
    template_name = "dids/import_list.html"

    def get_context_data(self, **kwargs):
        imports = DIDImport.objects.select_related("created_by", "provider")
        page = paginate(self.request, imports, sorts={"created": ("-created_at",)}, default_sort="created")
        return super().get_context_data(page=page, **kwargs)


class ImportDetailView(AdminRequiredMixin, TemplateView):
    template_name = "dids/import_detail.html"

    def get_context_data(self, **kwargs):
        imported = get_object_or_404(DIDImport.objects.select_related("created_by", "undone_by", "provider"),
                                     pk=self.kwargs["pk"])
        return super().get_context_data(
            imported=imported, sold=0 if imported.undone_at else sold_count(imported),
            remaining=imported.dids.count(), has_errors=uploads.import_errors_path(imported.pk).exists(), **kwargs,
        )


class ImportUndoView(ImportDetailView):
    """GET: confirmation page (how many DIDs go); POST: undo."""

    template_name = "dids/import_undo.html"

    def post(self, request, pk):
        get_object_or_404(DIDImport, pk=pk)
        try:
            deleted = undo_import(pk, by=request.user)
        except UndoRefused as error:
            messages.error(request, str(error))
            return redirect("dids:import_detail", pk=pk)
        messages.success(request, f"Import #{pk} undone: {deleted:,} DIDs deleted.")
        return redirect("dids:import_detail", pk=pk)

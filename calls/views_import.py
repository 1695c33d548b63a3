"""The admin's CDR import: upload, a dry run shown as a preview (with how the columns
were read; Check again re-reads with the admin's choices), Confirm (POST) charges with
exactly the choices the preview showed; the list of CDR imports, one import's report
and its rejected rows.

The uploaded file waits in DID_IMPORT_DIR between preview and confirmation
(core/importing/uploads.py); its name and the choices are remembered in the admin's
session (PENDING).
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.generic import FormView, TemplateView, View

from accounts.permissions import AdminRequiredMixin
from core.csv_stream import csv_file_download
from core.listing import paginate
from calls.forms import CDRCheckForm, CDRUploadForm
from calls.importing.columns import ColumnError
from calls.importing.files import errors_path, store_errors
from calls.importing.formats import FORMATS, read_columns
from calls.importing.pipeline import rate_cdr_file
from calls.models import CallImport
from core.importing import uploads
from core.importing.pending import PendingPreviews
from core.importing.reader import FileError
from dids.numbers import country_name

PENDING = PendingPreviews("cdr_import_pending")  # token -> {"name", "file_format", "time_zone", "country", "overrides"}


def _options(pending: dict) -> dict:
    """The pending entry as rate_cdr_file's keywords (a session keeps column numbers as text)."""
    overrides = pending.get("overrides")
    return {"file_format": pending.get("file_format", "header"), "time_zone": pending.get("time_zone"),
            "country": pending.get("country", ""),
            "overrides": {int(column): used for column, used in overrides.items()} if overrides is not None else None}


def _pending(request, token: str) -> dict:
    pending = PENDING.get(request, token)
    return {"name": pending} if isinstance(pending, str) else pending  # a preview made before the choices existed


def _preview(request, token: str, name: str, options: dict, check_form=None, choosing=False):
    """Dry-run the upload with these choices, remember them for Confirm and show the preview.
    Raises FileError when the file cannot be used whatever is chosen (``choosing``: the admin's
    own choices are the problem, shown to be chosen again)."""
    try:
        report = rate_cdr_file(uploads.upload_path(token), write=False, errors_path=uploads.preview_errors_path(token),
                               **_options(options))
        columns, problem = report.columns, ""
    except ColumnError as error:  # the admin may choose the columns
        if not (choosing or error.columns.fixable):
            raise
        report, columns, problem = None, error.columns, str(error)
    PENDING.remember(request, token, dict(options, name=name))
    if check_form is None:
        zone = options.get("time_zone") or settings.CDR_TIME_ZONE
        check_form = CDRCheckForm(columns=columns, initial={"time_zone": zone, "country": options.get("country", "")})
    return render(request, "calls/import_preview.html", dict(
        report=report, columns=columns, problem=problem, token=token, filename=name, match_form=check_form,
        file_format=FORMATS[options.get("file_format", "header")].label,
        country=country_name(options["country"]) if options.get("country") else ""))


class CDRImportView(AdminRequiredMixin, FormView):
    form_class = CDRUploadForm
    template_name = "calls/import_form.html"

    def form_valid(self, form):
        token = uploads.save_upload(form.cleaned_data["file"])
        try:
            return _preview(self.request, token, form.cleaned_data["file"].name, form.options())
        except FileError as error:
            uploads.forget(token)
            form.add_error("file", str(error))
            return self.form_invalid(form)


class CDRCheckView(AdminRequiredMixin, View):
    """POST: preview again with the admin's column choices, time zone and country."""

    def post(self, request, token):
        pending = _pending(request, token)
        options = _options(pending)
        try:
            with uploads.upload_path(token).open("rb") as stream:
                columns, _ = read_columns(stream, options["file_format"], overrides=options["overrides"])
            form = CDRCheckForm(request.POST, columns=columns)
            if form.is_valid():
                return _preview(request, token, pending["name"], dict(pending, **form.options()), choosing=True)
            return _preview(request, token, pending["name"], pending, check_form=form, choosing=True)
        except (FileError, OSError) as error:
            PENDING.forget(request, token)
            messages.error(request, f"Nothing was charged: {error}")
            return redirect("calls:import")


class CDRConfirmView(AdminRequiredMixin, View):
    """POST: rate and charge the file with the preview's choices (checked again: calls may have been charged since)."""

    def post(self, request, token):
        pending = _pending(request, token)
        written = uploads.preview_errors_path(token)
        try:
            report = rate_cdr_file(uploads.upload_path(token), write=True, errors_path=written,
                                   source=CallImport.Source.BROWSER, filename=pending["name"], by=request.user,
                                   **_options(pending))
        except (FileError, OSError) as error:
            PENDING.forget(request, token)
            messages.error(request, f"Nothing was charged: {error}")
            return redirect("calls:import")
        store_errors(report, written)
        PENDING.forget(request, token)
        record = report.import_record
        legs = (f" {report.other_legs:,} other leg{'s' if report.other_legs != 1 else ''} of these calls, not charged."
                if report.other_legs else "")
        calls = f"{report.charged:,} call{'s' if report.charged != 1 else ''}"
        messages.success(request, f"CDR import #{record.pk}: {calls} charged; {report.already_charged:,} already "
                                  f"charged; {report.invalid:,} rejected." + legs)
        return redirect("calls:import_detail", pk=record.pk)


class CDRDiscardView(AdminRequiredMixin, View):
    def post(self, request, token):
        PENDING.get(request, token)
        PENDING.forget(request, token)
        messages.info(request, "CDR import cancelled; nothing was charged.")
        return redirect("calls:imports")


class CDRPreviewErrorsView(AdminRequiredMixin, View):
    def get(self, request, token):
        PENDING.get(request, token)
        return csv_file_download(uploads.preview_errors_path(token), "rejected-calls.csv")


class CDRImportErrorsView(AdminRequiredMixin, View):
    def get(self, request, pk):
        record = get_object_or_404(CallImport, pk=pk)
        return csv_file_download(errors_path(record.pk), f"cdr-import-{record.pk}-rejected-calls.csv")


class CDRImportListView(AdminRequiredMixin, TemplateView):
    template_name = "calls/import_list.html"

    def get_context_data(self, **kwargs):
        page = paginate(self.request, CallImport.objects.select_related("created_by"),
                        sorts={"created": ("-created_at",)}, default_sort="created")
        return super().get_context_data(page=page, **kwargs)


class CDRImportDetailView(AdminRequiredMixin, TemplateView):
    template_name = "calls/import_detail.html"

    def get_context_data(self, **kwargs):
        record = get_object_or_404(CallImport.objects.select_related("created_by"), pk=self.kwargs["pk"])
        return super().get_context_data(record=record, has_errors=errors_path(record.pk).exists(),
                                        country=country_name(record.country) if record.country else "", **kwargs)

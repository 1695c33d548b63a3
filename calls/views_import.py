"""The admin's CDR import: upload, a dry run shown as a preview, Confirm (POST)
charges; the list of CDR imports, one import's report and its rejected rows.

The uploaded file waits in DID_IMPORT_DIR between preview and confirmation
(dids/importing/uploads.py), remembered in the admin's session.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.generic import FormView, TemplateView, View

from accounts.permissions import AdminRequiredMixin
from billing_portal.csv_stream import csv_file_download
from billing_portal.listing import paginate
from calls.forms import CDRUploadForm
from calls.importing.files import errors_path, store_errors
from calls.importing.pipeline import rate_cdr_file
from calls.models import CallImport
from dids.importing import uploads
from dids.importing.pending import PendingPreviews
from dids.importing.reader import FileError

PENDING = PendingPreviews("cdr_import_pending")  # token -> the uploaded file's name


class CDRImportView(AdminRequiredMixin, FormView):
    form_class = CDRUploadForm
    template_name = "calls/import_form.html"

    def form_valid(self, form):
        token = uploads.save_upload(form.cleaned_data["file"])
        try:
            report = rate_cdr_file(uploads.upload_path(token), write=False,
                                   errors_path=uploads.preview_errors_path(token))
        except FileError as error:
            uploads.forget(token)
            form.add_error("file", str(error))
            return self.form_invalid(form)
        name = form.cleaned_data["file"].name
        PENDING.remember(self.request, token, name)
        return render(self.request, "calls/import_preview.html", dict(report=report, token=token, filename=name))


class CDRConfirmView(AdminRequiredMixin, View):
    """POST: rate and charge the file (checked again: calls may have been charged since)."""

    def post(self, request, token):
        name = PENDING.get(request, token)
        written = uploads.preview_errors_path(token)
        try:
            report = rate_cdr_file(uploads.upload_path(token), write=True, errors_path=written,
                                   source=CallImport.Source.BROWSER, filename=name, by=request.user)
        except (FileError, FileNotFoundError) as error:
            PENDING.forget(request, token)
            messages.error(request, f"Nothing was charged: {error}")
            return redirect("calls:import")
        store_errors(report, written)
        PENDING.forget(request, token)
        record = report.import_record
        messages.success(request, f"CDR import #{record.pk}: {report.charged:,} call{'s' if report.charged != 1 else ''} "
                                  f"charged; {report.already_charged:,} already charged; {report.invalid:,} rejected.")
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
        return super().get_context_data(record=record, has_errors=errors_path(record.pk).exists(), **kwargs)

"""Admin pages of bulk creation: CSV import and ranges (preview, confirm),
the list of imports, an import's report, its error file, and undo.

A preview waits in the admin's session (the uploaded file in DID_IMPORT_DIR);
Confirm writes, by POST only. The pipeline (dids/importing/) does the work.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.generic import FormView, TemplateView, View

from accounts.permissions import AdminRequiredMixin
from billing_portal.csv_stream import csv_file_download
from billing_portal.listing import paginate
from dids.import_forms import DIDImportForm, DIDRangeForm
from dids.importing import uploads
from dids.importing.pending import PendingPreviews
from dids.importing.csv_file import checksum, earlier_import, import_csv
from dids.importing.pipeline import Report
from dids.importing.ranges import import_range
from dids.importing.reader import FileError
from dids.importing.undo import UndoRefused, sold_count, undo_import
from dids.models import DID, DIDImport, Provider

PENDING = PendingPreviews("did_import_pending")  # token -> what the preview was made from


def _preview(request, token: str, report: Report, title: str, **extra):
    return render(request, "dids/import_preview.html", dict(report=report, token=token, title=title, **extra))


class ImportView(AdminRequiredMixin, FormView):
    form_class = DIDImportForm
    template_name = "dids/import_form.html"

    def form_valid(self, form):
        token = uploads.save_upload(form.cleaned_data["file"])
        path = uploads.upload_path(token)
        provider = form.cleaned_data["provider"]
        try:
            report = import_csv(path, default_provider=provider, write=False,
                                errors_path=uploads.preview_errors_path(token))
        except FileError as error:
            uploads.forget(token)
            form.add_error("file", str(error))
            return self.form_invalid(form)
        name = form.cleaned_data["file"].name
        PENDING.remember(self.request, token, {"kind": "csv", "filename": name, "provider": provider.pk})
        return _preview(self.request, token, report, f"Import {name}", earlier=earlier_import(checksum(path)))


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
                report = import_csv(
                    uploads.upload_path(token), default_provider=Provider.objects.get(pk=pending["provider"]),
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
    text = f"Import #{report.import_record.pk}: {report.new:,} DID{'s' if report.new != 1 else ''} created"
    skipped = [f"{n:,} {what}" for n, what in ((report.duplicates, "duplicate"), (report.invalid, "invalid")) if n]
    return text + (f"; {' and '.join(skipped)} rows not imported." if skipped else ".")


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

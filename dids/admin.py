"""Django's own admin (/django-admin/) for providers and DIDs: a maintenance back
door for staff, and the reference that bench/lists.py compares the DID list with.
The portal's pages (/dids/) are where DIDs are managed."""

from django.contrib import admin

from dids.models import DID, Provider


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "number", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "number")


@admin.register(DID)
class DIDAdmin(admin.ModelAdmin):
    list_display = (
        "number", "country", "city", "province", "provider", "buy_cost", "setup_fee", "monthly_fee",
        "billing_type", "billing_days", "status", "holder",
    )
    list_select_related = ("provider", "holder")
    list_filter = ("country", "status")
    search_fields = ("number",)  # icontains (UPPER(number) LIKE): a scan; the portal's own search uses the index
    ordering = ("number",)
    list_per_page = 25
    show_full_result_count = False  # no second COUNT(*) of the whole table beside the filtered one
    raw_id_fields = ("provider", "holder", "import_batch")

"""Customers (/portal/customers/): the reseller's own accounts, with the admin's account list
features: search, sort, the seed's counter, page size, Export CSV of the filtered list."""

from django.utils import timezone
from django.views.generic import TemplateView

from core.csv_stream import csv_download, csv_lines, spreadsheet_safe
from core.listing import paginate, sorted_by
from core.money import fmt
from resellers.forms_customers import CustomerSearchForm, kind_label
from resellers.views.customers.scope import ResellerPageMixin, children_of

SORTS = {
    "number": ("number",),
    "name": ("name",),
    "kind": ("kind", "name"),
    "email": ("email", "name"),
    "balance": ("balance", "name"),
    "credit_limit": ("credit_limit", "name"),
    "status": ("status", "name"),
    "created": ("created_at",),
}
DEFAULT_SORT = "name"
# ?per_page= takes one of these (anything else: the first).
PAGE_SIZES = (25, 50, 100)
CSV_HEADER = ["Account number", "Name", "Type", "E-mail", "Username", "Balance (USD)", "Credit limit (USD)",
              "Status", "Created"]


def page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", PAGE_SIZES[0]))
    except ValueError:
        return PAGE_SIZES[0]
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


def csv_rows(accounts):
    for account in accounts.iterator(chunk_size=2000):
        user = getattr(account, "user", None)
        yield [account.number, spreadsheet_safe(account.name), kind_label(account.kind),
               spreadsheet_safe(account.email), spreadsheet_safe(user.username) if user else "",
               fmt(account.balance), fmt(account.credit_limit),
               account.get_status_display(), timezone.localtime(account.created_at).strftime("%Y-%m-%d %H:%M")]


class CustomerListView(ResellerPageMixin, TemplateView):
    template_name = "resellers/customers/list.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            accounts = CustomerSearchForm(request.GET).filter(children_of(self.reseller).select_related("user"))
            rows = csv_rows(sorted_by(request, accounts, SORTS, DEFAULT_SORT))
            return csv_download(csv_lines(CSV_HEADER, rows), f"customers-{self.reseller.number}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        search = CustomerSearchForm(self.request.GET or None)
        accounts = search.filter(children_of(self.reseller))
        page = paginate(self.request, accounts, sorts=SORTS, default_sort=DEFAULT_SORT,
                        per_page=page_size(self.request))
        # No account at all (not merely none matching the search): the page says how to start.
        first_time = not page.total and not search.is_filtered
        return super().get_context_data(search=search, page=page, page_sizes=PAGE_SIZES, first_time=first_time,
                                        **kwargs)

"""A reseller's own accounts (/portal/customers/), namespace "customers". Each account is named
by its 10-digit account number; resellers/views/customers/scope.py decides which ones a
reseller may reach (those directly under it; any other number: 404)."""

from django.urls import path

from resellers.views.customers import calls, create, detail, dids, edit, listing, login_as, money, statement, status

app_name = "customers"

urlpatterns = [
    path("", listing.CustomerListView.as_view(), name="list"),
    path("create/", create.CustomerCreateView.as_view(), name="create"),
    path("<str:number>/", detail.CustomerDetailView.as_view(), name="detail"),
    path("<str:number>/edit/", edit.CustomerEditView.as_view(), name="edit"),
    path("<str:number>/status/", status.CustomerStatusView.as_view(), name="status"),
    path("<str:number>/payment/", money.RecordPaymentView.as_view(), name="payment"),
    path("<str:number>/adjustment/", money.AdjustmentView.as_view(), name="adjust"),
    path("<str:number>/statement/", statement.CustomerStatementView.as_view(), name="statement"),
    path("<str:number>/dids/", dids.CustomerDIDsView.as_view(), name="dids"),
    path("<str:number>/calls/", calls.CustomerCallsView.as_view(), name="calls"),
    path("<str:number>/login-as/", login_as.CustomerLoginAsView.as_view(), name="login_as"),
]

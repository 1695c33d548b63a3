"""/api/: the REST API, version 1 (api/, docs/api.md). Token-authenticated endpoints under v1/;
the schema, its two documentation pages and the problem types are public."""

from django.urls import path

from api.views import account, admin, available, customers, dids, docs, purchases, statement

app_name = "api"

urlpatterns = [
    path("v1/account/", account.AccountView.as_view(), name="account"),
    path("v1/available-dids/", available.AvailableDIDsView.as_view(), name="available_dids"),
    path("v1/purchases/", purchases.PurchasesView.as_view(), name="purchases"),
    # An account's own numbers; {number} is E.164 with the '+' as %2B, or its digits alone.
    path("v1/dids/", dids.DIDListView.as_view(), name="dids"),
    path("v1/dids/<str:number>/", dids.DIDDetailView.as_view(), name="did"),
    path("v1/dids/<str:number>/release/", dids.DIDReleaseView.as_view(), name="did_release"),
    path("v1/dids/<str:number>/destination/", dids.DIDDestinationView.as_view(), name="did_destination"),
    path("v1/dids/<str:number>/sell-cost/", dids.DIDSellCostView.as_view(), name="did_sell_cost"),
    path("v1/statement/", statement.StatementView.as_view(), name="statement"),
    path("v1/calls/", statement.CallsView.as_view(), name="calls"),
    # A reseller's customers and sub-resellers (api/views/customers.py).
    path("v1/customers/", customers.CustomerListView.as_view(), name="customers"),
    path("v1/customers/<str:account_number>/", customers.CustomerView.as_view(), name="customer"),
    path("v1/customers/<str:account_number>/payments/", customers.CustomerPaymentView.as_view(),
         name="customer_payments"),
    # The admin's (api/views/admin.py): the DID catalogue, every account, funds.
    path("v1/admin/dids/", admin.AdminDIDListView.as_view(), name="admin_dids"),
    path("v1/admin/dids/<str:number>/", admin.AdminDIDView.as_view(), name="admin_did"),
    path("v1/admin/accounts/", admin.AdminAccountListView.as_view(), name="admin_accounts"),
    path("v1/admin/accounts/<str:account_number>/", admin.AdminAccountView.as_view(), name="admin_account"),
    path("v1/admin/accounts/<str:account_number>/funds/", admin.AdminFundsView.as_view(), name="admin_account_funds"),
    path("v1/schema/", docs.SchemaView.as_view(), name="schema"),
    path("v1/docs/", docs.SwaggerView.as_view(), name="docs"),
    path("v1/redoc/", docs.RedocView.as_view(), name="redoc"),
    path("problems/<slug:code>", docs.ProblemView.as_view(), name="problem"),
]

"""Money pages. Included at the site root (billing_portal/urls/__init__.py) so that the
admin's pages of one account sit beside the account management (accounts.py here)
(/accounts/manage/...) while accounts never imports billing."""

from django.urls import path

from resellers.views import destination as portal_destination
from resellers.views import edit_info as portal_edit_info
from resellers.views import margins as portal_margins
from resellers.views import statement as portal_statement

from billing.views import statement as views
from billing.views import account as views_admin
from billing.views import assurance as views_audit
from routing import views_destination
from billing.views import edit_info as views_edit_info
from billing.views import margins as views_margins

app_name = "billing"

urlpatterns = [
    # The logged-in reseller's or customer's own statement.
    path("portal/statement/", portal_statement.OwnStatementView.as_view(), name="statement"),
    path("portal/statement/<str:number>/", portal_statement.OwnStatementView.as_view(), name="statement_of"),
    # Edit Info after purchase: the operator's, any holder's (admin), one's own.
    path("dids/<int:did_pk>/edit-info/", views_edit_info.OperatorEditInfoView.as_view(), name="edit_info"),
    path("dids/<int:did_pk>/edit-info/<int:account_pk>/", views_edit_info.HolderEditInfoAdminView.as_view(),
         name="holder_edit_info"),
    path("portal/dids/<int:did_pk>/edit-info/", portal_edit_info.MyEditInfoView.as_view(), name="my_edit_info"),
    # Destination (where a DID's calls go): one's own, any holder's (admin).
    path("portal/dids/<int:did_pk>/destination/", portal_destination.MyDestinationView.as_view(), name="destination"),
    path("dids/<int:did_pk>/destination/<int:account_pk>/", views_destination.HolderDestinationAdminView.as_view(),
         name="holder_destination"),
    # Margins: the admin's summary, one account's DIDs (admin), a reseller's own.
    path("margins/", views_margins.MarginsAdminView.as_view(), name="margins"),
    path("accounts/manage/<int:pk>/margins/", views_margins.AccountMarginsAdminView.as_view(), name="account_margins"),
    path("portal/margins/", portal_margins.MyMarginsView.as_view(), name="my_margins"),
    # Revenue assurance: missing, duplicate and overdue charges, balances vs ledger (admin).
    path("billing/audit/", views_audit.AuditView.as_view(), name="audit"),
    # The admin's pages of one account.
    path("accounts/manage/<int:pk>/", views_admin.AccountMoneyView.as_view(), name="account"),
    path("accounts/manage/<int:pk>/add-funds/", views_admin.AddFundsView.as_view(), name="add_funds"),
    path("accounts/manage/<int:pk>/adjust/", views_admin.AdjustView.as_view(), name="adjust"),
    path("accounts/manage/<int:pk>/statement/", views.AdminStatementView.as_view(), name="account_statement"),
]

"""Money pages. Included at the site root by billing_portal/urls.py so that the
admin's pages of one account sit beside the account management in accounts/urls.py
(/accounts/manage/...) while accounts never imports billing."""

from django.urls import path

from billing import views, views_admin

app_name = "billing"

urlpatterns = [
    # The logged-in reseller's or customer's own statement.
    path("portal/statement/", views.OwnStatementView.as_view(), name="statement"),
    path("portal/statement/<str:number>/", views.OwnStatementView.as_view(), name="statement_of"),
    # The admin's pages of one account.
    path("accounts/manage/<int:pk>/", views_admin.AccountMoneyView.as_view(), name="account"),
    path("accounts/manage/<int:pk>/add-funds/", views_admin.AddFundsView.as_view(), name="add_funds"),
    path("accounts/manage/<int:pk>/adjust/", views_admin.AdjustView.as_view(), name="adjust"),
    path("accounts/manage/<int:pk>/statement/", views.AdminStatementView.as_view(), name="account_statement"),
]

from django.urls import path

from resellers.views import calls as portal_calls

from calls import views, views_import

app_name = "calls"

urlpatterns = [
    path("calls/", views.CallListAdminView.as_view(), name="list"),
    path("calls/import/", views_import.CDRImportView.as_view(), name="import"),
    path("calls/import/<str:token>/check/", views_import.CDRCheckView.as_view(), name="import_check"),
    path("calls/import/<str:token>/confirm/", views_import.CDRConfirmView.as_view(), name="import_confirm"),
    path("calls/import/<str:token>/discard/", views_import.CDRDiscardView.as_view(), name="import_discard"),
    path("calls/import/<str:token>/rejected.csv", views_import.CDRPreviewErrorsView.as_view(),
         name="import_preview_errors"),
    path("calls/imports/", views_import.CDRImportListView.as_view(), name="imports"),
    path("calls/imports/<int:pk>/", views_import.CDRImportDetailView.as_view(), name="import_detail"),
    path("calls/imports/<int:pk>/rejected.csv", views_import.CDRImportErrorsView.as_view(), name="import_errors"),
    path("accounts/manage/<int:pk>/calls/", views.AccountCallsAdminView.as_view(), name="account_calls"),
    path("portal/calls/", portal_calls.MyCallsView.as_view(), name="mine"),
]

from django.urls import path

from billing.views import bulk, products

from dids import views, views_import

app_name = "dids"

urlpatterns = [
    path("", views.DIDListView.as_view(), name="list"),
    path("create/", products.DIDCreateView.as_view(), name="create"),
    path("<int:pk>/edit/", products.DIDUpdateView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.DIDDeleteView.as_view(), name="delete"),
    path("bulk/", bulk.DIDBulkView.as_view(), name="bulk"),
    path("import/", views_import.ImportView.as_view(), name="import"),
    path("range/", views_import.RangeView.as_view(), name="range"),
    path("import/<str:token>/check/", views_import.ImportCheckView.as_view(), name="import_check"),
    path("import/<str:token>/confirm/", views_import.ImportConfirmView.as_view(), name="import_confirm"),
    path("import/<str:token>/discard/", views_import.ImportDiscardView.as_view(), name="import_discard"),
    path("import/<str:token>/rejected.csv", views_import.PreviewErrorsView.as_view(), name="import_preview_errors"),
    path("import/<str:token>/progress/", views_import.ImportProgressView.as_view(), name="import_progress"),
    path("imports/", views_import.ImportListView.as_view(), name="imports"),
    path("imports/<int:pk>/", views_import.ImportDetailView.as_view(), name="import_detail"),
    path("imports/<int:pk>/rejected.csv", views_import.ImportErrorsView.as_view(), name="import_errors"),
    path("imports/<int:pk>/undo/", views_import.ImportUndoView.as_view(), name="import_undo"),
    path("providers/", views.ProviderListView.as_view(), name="provider_list"),
    path("providers/create/", views.ProviderFormView.as_view(), name="provider_create"),
    path("providers/<int:pk>/edit/", views.ProviderFormView.as_view(), name="provider_edit"),
    path("providers/<int:pk>/toggle/", views.ProviderToggleView.as_view(), name="provider_toggle"),
]

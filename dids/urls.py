from django.urls import path

from dids import views

app_name = "dids"

urlpatterns = [
    path("", views.DIDListView.as_view(), name="list"),
    path("create/", views.DIDCreateView.as_view(), name="create"),
    path("<int:pk>/edit/", views.DIDUpdateView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.DIDDeleteView.as_view(), name="delete"),
    path("providers/", views.ProviderListView.as_view(), name="provider_list"),
    path("providers/create/", views.ProviderFormView.as_view(), name="provider_create"),
    path("providers/<int:pk>/edit/", views.ProviderFormView.as_view(), name="provider_edit"),
    path("providers/<int:pk>/toggle/", views.ProviderToggleView.as_view(), name="provider_toggle"),
]

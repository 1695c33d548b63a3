"""/webhooks/: every login's Webhooks page (webhooks/views.py)."""

from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.EndpointListView.as_view(), name="list"),
    path("add/", views.EndpointCreateView.as_view(), name="create"),
    path("<int:pk>/", views.EndpointDetailView.as_view(), name="detail"),
    path("<int:pk>/disable/", views.EndpointToggleView.as_view(), name="toggle"),
    path("<int:pk>/delete/", views.EndpointDeleteView.as_view(), name="delete"),
    path("deliveries/<int:pk>/resend/", views.DeliveryResendView.as_view(), name="resend"),
]

"""/api-tokens/: every login's API tokens page (api/views_tokens.py)."""

from django.urls import path

from api import views_tokens

app_name = "api_tokens"

urlpatterns = [
    path("", views_tokens.TokenListView.as_view(), name="list"),
    path("create/", views_tokens.TokenCreateView.as_view(), name="create"),
    path("<int:pk>/revoke/", views_tokens.TokenRevokeView.as_view(), name="revoke"),
]

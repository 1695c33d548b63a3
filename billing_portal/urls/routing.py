from django.urls import path

from routing import views, views_tokens

app_name = "routing"

urlpatterns = [
    # For the softswitch (token, no login).
    path("lookup", views.lookup, name="lookup"),
    path("freeswitch", views.freeswitch_dialplan, name="freeswitch"),
    # For the admin.
    path("tokens/", views_tokens.TokenListView.as_view(), name="tokens"),
    path("tokens/create/", views_tokens.TokenCreateView.as_view(), name="token_create"),
    path("tokens/<int:pk>/country/", views_tokens.TokenCountryView.as_view(), name="token_country"),
    path("tokens/<int:pk>/revoke/", views_tokens.TokenRevokeView.as_view(), name="token_revoke"),
]

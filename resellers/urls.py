from django.urls import path

from resellers import views

app_name = "resellers"

urlpatterns = [
    path("account/", views.AccountView.as_view(), name="account"),
]

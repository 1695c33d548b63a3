from django.urls import path

from resellers.views import dids as views
from resellers.views.buy_many import BuyManyView

app_name = "resellers"

urlpatterns = [
    path("account/", views.AccountView.as_view(), name="account"),
    path("dids/", views.MyDIDsView.as_view(), name="dids"),
    path("dids/buy/", views.BuyDIDsView.as_view(), name="buy"),
    path("dids/buy/<int:did_pk>/", views.PurchaseView.as_view(), name="purchase"),
    path("dids/buy/several/", BuyManyView.as_view(), name="buy_many"),
    path("dids/release/", views.ReleaseView.as_view(), name="release"),
]

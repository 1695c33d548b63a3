from django.urls import path

from notices import views

app_name = "notices"

urlpatterns = [
    path("", views.NoticeListView.as_view(), name="list"),
    path("open/", views.OpenNoticeView.as_view(), name="open"),  # POST: the notice's id in the form
    path("read-all/", views.MarkAllReadView.as_view(), name="read_all"),
    path("settings/", views.NoticeSettingsView.as_view(), name="settings"),
]

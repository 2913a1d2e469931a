from django.urls import path

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.report, name="report"),
    path("events.csv", views.export, {"kind": "events"}, name="export-events"),
    path("daily.csv", views.export, {"kind": "daily"}, name="export-daily"),
]

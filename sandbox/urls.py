from django.urls import path

from sandbox import views

app_name = "sandbox"

urlpatterns = [
    path("<str:reference>/", views.pay, name="pay"),
    path("<str:reference>/challenge/", views.challenge, name="challenge"),
    path("<str:reference>/cancel/", views.cancel, name="cancel"),
]

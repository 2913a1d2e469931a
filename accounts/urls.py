from django.urls import path

from accounts import views
from api import views as api_views

app_name = "accounts"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password-change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("password/reset/done/", views.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
    path("profile/", views.profile, name="profile"),
    path("confirm/resend/", views.email_confirm_resend, name="email-confirm-resend"),
    path("confirm/<str:token>/", views.email_confirm, name="email-confirm"),
    path("addresses/new/", views.address_create, name="address-create"),
    path("addresses/<int:pk>/", views.address_detail, name="address-detail"),
    path("addresses/<int:pk>/edit/", views.address_edit, name="address-edit"),
    path("addresses/<int:pk>/delete/", views.address_delete, name="address-delete"),
    path("addresses/<int:pk>/default/", views.address_set_default, name="address-default"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/others/revoke/", views.sessions_revoke_others, name="sessions-revoke-others"),
    path("sessions/<uuid:public_id>/revoke/", views.session_revoke, name="session-revoke"),
    path("data/", views.data_export_request, name="data-export"),
    path("data/<str:token>/", views.data_export_download, name="data-export-download"),
    path("delete/", views.account_delete, name="delete"),
    # api: personal API tokens (the views live with the API)
    path("tokens/", api_views.tokens, name="api-tokens"),
    path("tokens/<int:token_id>/revoke/", api_views.token_revoke, name="api-token-revoke"),
]

"""Accounts pages: parse the request, call a selector or service, render the page or its htmx fragment."""

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import exports, gate, selectors, services
from accounts.forms import (
    AddressForm,
    ConfirmPasswordForm,
    LaunchNotifyForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    ProfileForm,
    RegisterForm,
    SetPasswordForm,
    StorefrontPasswordForm,
)
from accounts.models import Address
from accounts.net import client_ip
from analytics.models import EventName
from analytics.services import event_record
from cart.services import cart_merge_at_login
from shop.rendering import render_page_or_fragment, wants_fragment


def _safe_next(request: HttpRequest, value: str | None, default: str) -> str:
    """`next` only when it stays on this site; otherwise the default (no open redirects)."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return resolve_url(default)


# --- Registration, login, logout ----------------------------------------------------------------


@sensitive_post_parameters("password1", "password2")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next")
    if request.user.is_authenticated:
        return redirect(_safe_next(request, next_url, "accounts:profile"))
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_register(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                name=form.cleaned_data["name"],
            )
        except services.EmailTaken as exc:
            form.add_error("email", str(exc))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            event_record(request, EventName.REGISTERED)
            messages.success(request, _("Welcome! Your account is ready."))
            _merge_cart(request, user)
            return redirect(_safe_next(request, next_url, "accounts:profile"))
    return render(request, "accounts/register.html", {"form": form, "next": next_url or ""})


def _merge_cart(request: HttpRequest, user) -> None:
    """The cart filled before logging in joins the account's cart; say what had to be capped."""
    for notice in cart_merge_at_login(request, user):
        messages.warning(request, notice)


UNVERIFIED = gettext_lazy(
    "Your e-mail address is not confirmed yet: open the link we sent you, or ask for a new one in your profile."
)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        event_record(self.request, EventName.LOGGED_IN)
        services.session_start(request=self.request, remember=bool(form.cleaned_data.get("remember")))
        _merge_cart(self.request, form.get_user())
        if not form.get_user().email_verified:
            messages.warning(self.request, UNVERIFIED)
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["expired"] = self.request.GET.get("expired") == "1"
        return context


class LogoutView(auth_views.LogoutView):
    """POST only (Django's): deletes the server-side session."""

    next_page = "home"


def login_locked_out(request: HttpRequest, response: HttpResponse | None = None, credentials: dict | None = None):
    """django-axes' lockout answer: the same for every address, whether or not it has an account."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if request.path.startswith("/api/"):
        from api.errors import problem_response

        retry = {"Retry-After": str(int(settings.AXES_COOLOFF_TIME.total_seconds()))}
        return problem_response(429, f"Too many failed logins; try again in {minutes} minutes.", headers=retry)
    response = render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


# --- Passwords ----------------------------------------------------------------------------------


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_change_password(request=request, user=request.user, password=form.cleaned_data["new_password1"])
        messages.success(request, _("Your password was changed. Your other sessions were logged out."))
        return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.session_revoke_all(user=form.user)
        services.login_failures_forget(user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# --- E-mail confirmation ----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners that fetch links use nothing up); POST confirms, once."""
    try:
        if request.method != "POST":
            confirmation = services.email_confirmation_check(token=token)
            return render(request, "accounts/email_confirm.html", {"email": confirmation.email})
        user = services.email_confirm(token=token)
    except services.ConfirmationExpired as exc:
        return render(request, "accounts/email_confirm.html", {"problem": str(exc)}, status=410)
    except (services.ConfirmationInvalid, services.EmailTaken) as exc:
        return render(request, "accounts/email_confirm.html", {"problem": str(exc)}, status=400)
    messages.success(request, _("Thank you: %(email)s is confirmed.") % {"email": user.email})
    return redirect("accounts:profile" if request.user.is_authenticated else "accounts:login")


@login_required
@require_POST
def email_confirm_resend(request: HttpRequest) -> HttpResponse:
    try:
        email = services.email_confirmation_resend(user=request.user)
    except services.AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("We sent a new confirmation link to %(email)s.") % {"email": email})
    return redirect("accounts:profile")


# --- Profile and address book ------------------------------------------------------------------


def _data_export_context(request: HttpRequest) -> dict:
    export = selectors.data_export_latest(user=request.user)
    url = exports.data_export_path(export) if export and export.finished_at else ""
    return {"data_export": export, "data_export_url": url}


def _profile_context(request: HttpRequest, **extra) -> dict:
    return {
        "pending_confirmation": services.email_confirmation_pending(user=request.user),
        **_data_export_context(request),
        "profile_form": ProfileForm(user=request.user),
        "address_form": AddressForm(),
        "addresses": selectors.address_list(user=request.user),
        **extra,
    }


@sensitive_post_parameters("current_password")
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            pending = services.user_update_profile(
                user=request.user, name=form.cleaned_data["name"], email=form.cleaned_data["email"]
            )
        except services.EmailTaken as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, _("Your profile was saved."))
            if pending:
                messages.info(
                    request,
                    _("We sent a confirmation link to %(pending)s. Until you open it, your address stays %(current)s.")
                    % {"pending": pending, "current": request.user.email},
                )
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", _profile_context(request, profile_form=form))


def _addresses_response(request: HttpRequest, address_form: AddressForm | None = None) -> HttpResponse:
    """After an address-book change: the list fragment for htmx, back to the profile otherwise."""
    if not request.htmx and address_form is None:
        return redirect(reverse("accounts:profile") + "#addresses")
    context = _profile_context(request)
    if address_form is not None:
        context["address_form"] = address_form
    return render_page_or_fragment(request, "accounts/profile.html", context, fragment="addresses")


def _own_address(request: HttpRequest, pk: int) -> Address:
    try:
        return selectors.address_get(user=request.user, pk=pk)
    except Address.DoesNotExist as exc:
        raise Http404("No such address.") from exc


@login_required
@require_POST
def address_create(request: HttpRequest) -> HttpResponse:
    form = AddressForm(request.POST)
    if not form.is_valid():
        return _addresses_response(request, address_form=form)
    services.address_create(user=request.user, data=form.cleaned_data)
    if not request.htmx:
        messages.success(request, _("The address was added."))
    return _addresses_response(request)


@login_required
@require_safe
def address_detail(request: HttpRequest, pk: int) -> HttpResponse:
    address = _own_address(request, pk)
    if not wants_fragment(request):
        return redirect(reverse("accounts:profile") + "#addresses")
    return render_page_or_fragment(request, "accounts/profile.html", {"address": address}, fragment="address-item")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def address_edit(request: HttpRequest, pk: int) -> HttpResponse:
    address = _own_address(request, pk)
    form = AddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        services.address_update(address=address, data=form.cleaned_data)
        if not request.htmx:
            messages.success(request, _("The address was saved."))
            return redirect(reverse("accounts:profile") + "#addresses")
        return render_page_or_fragment(request, "accounts/profile.html", {"address": address}, fragment="address-item")
    return render_page_or_fragment(
        request, "accounts/address_edit.html", {"address": address, "form": form}, fragment="edit-form"
    )


@login_required
@require_POST
def address_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.address_delete(address=_own_address(request, pk))
    if not request.htmx:
        messages.success(request, _("The address was deleted."))
    return _addresses_response(request)


@login_required
@require_POST
def address_set_default(request: HttpRequest, pk: int) -> HttpResponse:
    services.address_set_default(address=_own_address(request, pk))
    return _addresses_response(request)


# --- Sessions ----------------------------------------------------------------------------------


def _sessions_response(request: HttpRequest) -> HttpResponse:
    context = {
        "sessions": selectors.session_list_active(user=request.user),
        "current_key": request.session.session_key,
    }
    return render_page_or_fragment(request, "accounts/sessions.html", context, fragment="session-list")


@login_required
@require_safe
def sessions(request: HttpRequest) -> HttpResponse:
    return _sessions_response(request)


@login_required
@require_POST
def session_revoke(request: HttpRequest, public_id: UUID) -> HttpResponse:
    current = request.session.session_key
    if selectors.session_list_active(user=request.user).filter(public_id=public_id, session_key=current).exists():
        level, text = messages.ERROR, _("To end this session, log out.")
    elif services.session_revoke(user=request.user, public_id=public_id):
        level, text = messages.SUCCESS, _("That session was logged out.")
    else:
        level, text = messages.INFO, _("That session had already ended.")
    if not request.htmx:
        messages.add_message(request, level, text)
        return redirect("accounts:sessions")
    return _sessions_response(request)


@login_required
@require_POST
def sessions_revoke_others(request: HttpRequest) -> HttpResponse:
    count = services.session_revoke_others(user=request.user, keep_key=request.session.session_key)
    if not request.htmx:
        messages.success(
            request,
            ngettext("%(count)s other session logged out.", "%(count)s other sessions logged out.", count)
            % {"count": count},
        )
        return redirect("accounts:sessions")
    return _sessions_response(request)


# --- The shopper's own data ---------------------------------------------------------------------------


@login_required
@require_POST
def data_export_request(request: HttpRequest) -> HttpResponse:
    exports.data_export_request(user=request.user)
    messages.info(
        request,
        _(
            "We are preparing the file with your data. It appears here in a moment (reload the page); "
            "a large file is also sent to you by e-mail."
        ),
    )
    return redirect(reverse("accounts:profile") + "#my-data")


@never_cache
@login_required
@require_safe
def data_export_download(request: HttpRequest, token: str) -> HttpResponse:
    try:
        export = exports.data_export_for_link(token=token, user=request.user)
    except exports.ExportLinkInvalid as exc:
        return render(request, "accounts/data_export_invalid.html", {"problem": str(exc)}, status=404)
    response = HttpResponse(export.content, content_type="application/json")
    stamp = export.finished_at.strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="my-data-{stamp}.json"'
    return response


# --- Account deletion ---------------------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    form = ConfirmPasswordForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        services.user_delete(user=user)
        messages.success(request, _("Your account and your personal data were deleted."))
        return redirect("home")
    return render(request, "accounts/delete.html", {"form": form})


# --- Storefront password gate ------------------------------------------------------------------


def storefront_password_page(
    request: HttpRequest,
    form: StorefrontPasswordForm | None = None,
    *,
    status: int = 503,
    notify_form: LaunchNotifyForm | None = None,
    notified: bool = False,
) -> HttpResponse:
    """The password page, in place of whatever was asked for: 503, so search engines index nothing."""
    if form is None:
        form = StorefrontPasswordForm(initial={"next": request.get_full_path()})
    if notify_form is None:
        notify_form = LaunchNotifyForm(initial={"next": form["next"].value() or "/"})
    context = {"form": form, "notify_form": notify_form, "notified": notified}
    response = render(request, "accounts/storefront_password.html", context, status=status)
    response["Retry-After"] = str(settings.SHOP_PASSWORD_RETRY_AFTER)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


@sensitive_post_parameters("password")
@require_http_methods(["GET", "HEAD", "POST"])
def storefront_password(request: HttpRequest) -> HttpResponse:
    if not gate.gate_enabled():
        raise Http404("The shop is open.")
    if request.method != "POST":
        return storefront_password_page(request, StorefrontPasswordForm(initial={"next": request.GET.get("next", "/")}))
    form = StorefrontPasswordForm(request.POST)
    if not form.is_valid():
        return storefront_password_page(request, form)
    try:
        right = services.gate_password_try(ip=client_ip(request), password=form.cleaned_data["password"])
    except services.Throttled as exc:
        form.add_error(None, str(exc))
        return storefront_password_page(request, form, status=429)
    if right:
        response = redirect(_safe_next(request, form.cleaned_data["next"], "home"))
        gate.gate_token_issue(response)
        return response
    form.add_error("password", _("That password is not correct."))
    return storefront_password_page(request, form)


@require_POST
def storefront_notify(request: HttpRequest) -> HttpResponse:
    if not gate.gate_enabled():
        raise Http404("The shop is open.")
    notify_form = LaunchNotifyForm(request.POST)
    password_form = StorefrontPasswordForm(initial={"next": request.POST.get("next", "/")})
    ip = client_ip(request)
    try:
        services.launch_notify_throttle(ip=ip)
    except services.Throttled as exc:
        notify_form.add_error(None, str(exc))
        return storefront_password_page(request, password_form, status=429, notify_form=notify_form)
    if not notify_form.is_valid():
        return storefront_password_page(request, password_form, notify_form=notify_form)
    services.launch_subscriber_add(email=notify_form.cleaned_data["email"], ip=ip)
    return storefront_password_page(request, password_form, notified=True)

"""The profile's API tokens page: list, create (the secret shown once, on this response only), revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from api import services
from api.forms import TokenForm
from api.models import ApiToken


def _page(request: HttpRequest, form: TokenForm, secret: str = "", status: int = 200) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user, kind=ApiToken.Kind.PERSONAL, revoked_at=None)
    return render(request, "api/tokens.html", {"form": form, "tokens": tokens, "secret": secret}, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not form.is_valid():
            return _page(request, form, status=400)
        new = services.token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            days=form.cleaned_data["days"],
        )
        # Rendered, not redirected: the secret is never stored, not even in a message.
        return _page(request, TokenForm(user=request.user), secret=new.secret)
    return _page(request, form)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    if services.token_revoke(user=request.user, token_id=token_id):
        messages.success(request, _("The token was revoked."))
    return redirect("accounts:api-tokens")

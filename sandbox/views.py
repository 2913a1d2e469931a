"""The sandbox provider's hosted pages: its payment page, its 3-D Secure challenge, cancel.

They stand in for pages on the provider's own domain: the shop links here and is told the outcome by
the return redirect and the webhook. The reference in the URL is the session's unguessable id.
"""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from sandbox import provider
from sandbox.models import SandboxCharge

S = SandboxCharge.Status


def _charge(reference: str) -> SandboxCharge:
    charge = SandboxCharge.objects.filter(reference=reference[:40]).first()
    if charge is None:
        raise Http404("No such payment session.")
    return charge


def _page(request: HttpRequest, template: str, charge: SandboxCharge, status: int = 200, **extra) -> HttpResponse:
    ctx = {
        "charge": charge,
        "merchant": settings.SHOP_NAME,
        "message": provider.DECLINE_MESSAGES.get(charge.decline_code, ""),
        **extra,
    }
    return render(request, f"sandbox/{template}.html", ctx, status=status)


@sensitive_post_parameters("number")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def pay(request: HttpRequest, reference: str) -> HttpResponse:
    """The hosted payment page: type a test card, or cancel and go back to the shop."""
    charge = _charge(reference)
    if request.method == "POST" and charge.status == S.OPEN:
        try:
            number = provider.card_clean(request.POST.get("number", "")[:40])
        except provider.CardInvalid as exc:
            return _page(request, "pay", charge, status=400, error=str(exc))
        charge = provider.charge_submit(reference=charge.reference, number=number)
        if charge.status == S.CHALLENGE:
            return redirect("sandbox:challenge", charge.reference)
        if charge.decline_code == "timeout":
            return _page(request, "pay", charge, status=504)
        return redirect(charge.return_url)
    if charge.status == S.CHALLENGE:
        return redirect("sandbox:challenge", charge.reference)
    return _page(request, "pay", charge)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def challenge(request: HttpRequest, reference: str) -> HttpResponse:
    """The bank's 3-D Secure page: approve or refuse this payment."""
    charge = _charge(reference)
    if charge.status != S.CHALLENGE:
        return redirect("sandbox:pay", charge.reference)
    if request.method == "POST":
        answer = request.POST.get("answer")
        if answer not in ("approve", "refuse"):
            return _page(request, "challenge", charge, status=400, error="Choose Approve or Refuse.")
        charge = provider.charge_challenge(reference=charge.reference, approve=answer == "approve")
        return redirect(charge.return_url)
    return _page(request, "challenge", charge)


@require_POST
def cancel(request: HttpRequest, reference: str) -> HttpResponse:
    """The shopper gives up on the provider's page and goes back to the shop."""
    charge = provider.charge_cancel(reference=_charge(reference).reference)
    return redirect(charge.return_url)

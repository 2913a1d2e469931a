from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from api.models import ApiToken, IdempotentRequest
from api.services import token_create


def test_api_prune_deletes_only_what_no_request_can_use(shopper, settings):
    live = token_create(user=shopper).token
    ended = token_create(user=shopper).token
    ApiToken.objects.filter(pk=ended.pk).update(expires_at=timezone.now() - timedelta(days=31))
    fresh = IdempotentRequest.objects.create(user=shopper, key="new", fingerprint="x", status=201)
    old = IdempotentRequest.objects.create(user=shopper, key="old", fingerprint="x", status=201)
    IdempotentRequest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.API_IDEMPOTENCY_TTL + 1)
    )
    out = StringIO()
    call_command("api_prune", stdout=out)
    assert "1 idempotency records, 1 tokens" in out.getvalue()
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [live.pk]
    assert list(IdempotentRequest.objects.values_list("pk", flat=True)) == [fresh.pk]

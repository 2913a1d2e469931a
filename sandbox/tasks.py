"""The sandbox provider delivering its webhooks, retried with backoff as a real provider does."""

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from sandbox import provider
from sandbox.gateway import SandboxGateway

logger = logging.getLogger(__name__)
WEBHOOK_ATTEMPTS = 5


@task()
def webhook_deliver(reference: str, attempt: int) -> str:
    """Build the charge's signed event and hand it to the shop's webhook receiver."""
    from orders.payments import webhook_receive

    body, headers = provider.webhook_event(reference)
    try:
        return webhook_receive(gateway_name=SandboxGateway.name, body=body, headers=headers)
    except Exception:
        if attempt >= WEBHOOK_ATTEMPTS:
            raise
        logger.warning("sandbox webhook delivery failed", exc_info=True, extra={"reference": reference})
        retry_at = timezone.now() + timedelta(seconds=30 * 2 ** (attempt - 1))
        webhook_deliver.using(run_after=retry_at).enqueue(reference, attempt + 1)
        return "retrying"

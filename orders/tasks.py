"""Background work of orders: thin shells over the services (arguments are JSON)."""

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

# When the gateway cannot tell whether an expiring order's payment went through, ask again after this.
EXPIRY_RETRY = timedelta(minutes=1)
WEBHOOK_ATTEMPTS = 5


@task()
def order_expire(order_id: int) -> str:
    from orders.services import order_expire as expire

    return expire(order_id=order_id)


@task()
def sandbox_webhook_send(reference: str, attempt: int) -> str:
    """The sandbox provider delivering its webhook, retried with backoff like a real provider would."""
    from orders.gateways.sandbox import SandboxGateway
    from orders.payments import webhook_receive

    body, headers = SandboxGateway().webhook_event(reference)
    try:
        return webhook_receive(gateway_name=SandboxGateway.name, body=body, headers=headers)
    except Exception:
        if attempt >= WEBHOOK_ATTEMPTS:
            raise
        logger.warning("sandbox webhook delivery failed", exc_info=True, extra={"reference": reference})
        retry_at = timezone.now() + timedelta(seconds=30 * 2 ** (attempt - 1))
        sandbox_webhook_send.using(run_after=retry_at).enqueue(reference, attempt + 1)
        return "retrying"

"""Background work of the API: thin shells over api.webhooks (arguments are JSON)."""

from django_tasks import task

from api import webhooks


@task()
def deliver_webhook(delivery_id: int) -> str:
    return webhooks.delivery_send(delivery_id)

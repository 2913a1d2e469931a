"""Background work of the outbox: thin shells over notifications.services (arguments are JSON)."""

from django_tasks import task

from notifications import services


@task()
def deliver_message(message_id: int) -> str:
    return services.message_deliver(message_id)

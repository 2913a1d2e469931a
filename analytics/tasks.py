"""Background work of analytics: thin shells over analytics.services (arguments are JSON)."""

from django_tasks import task

from analytics import services


@task()
def rollup_recent() -> int:
    """Finalise the roll-ups of the last few days; enqueued periodically by `outbox_worker`."""
    return services.rollup_recent()

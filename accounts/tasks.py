"""Background work of accounts: thin shells over the services (arguments are JSON)."""

from django_tasks import task


@task()
def data_export_build(export_id: int) -> int:
    from accounts.exports import data_export_build as build

    return build(export_id=export_id)

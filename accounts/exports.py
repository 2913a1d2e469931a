""" "Download my data": the account, its addresses, orders and sessions as one JSON file.

A task builds the file. A file up to ACCOUNT_EXPORT_MAIL_THRESHOLD bytes is offered on the profile page;
a larger one is also mailed as a signed link that expires after ACCOUNT_EXPORT_LINK_MAX_AGE seconds
(the download still needs the owner's login).
"""

import json
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import DataExport, User
from accounts.tokens import signed_read
from notifications.services import mail_enqueue

LINK_SALT = "accounts.data-export"


class ExportLinkInvalid(Exception):
    """The download link was altered, has expired, or is not the logged-in user's."""


def data_export_request(*, user: User) -> DataExport:
    """Start a new export (the previous ones go); the task runs after the commit."""
    from accounts import tasks

    with transaction.atomic():
        DataExport.objects.filter(user=user).delete()
        export = DataExport.objects.create(user=user)
        export_id = export.pk
        transaction.on_commit(lambda: tasks.data_export_build.enqueue(export_id), robust=True)
    return export


def data_export_document(*, user: User) -> dict[str, Any]:
    """Everything the shop keeps about the user, in plain JSON types."""
    from orders.models import Order

    orders = Order.objects.filter(user=user).prefetch_related("lines", "transitions").order_by("created_at", "id")
    return {
        "exported_at": timezone.now(),
        "account": {
            "email": user.email,
            "name": user.name,
            "date_joined": user.date_joined,
            "email_verified_at": user.email_verified_at,
        },
        "addresses": [{**a.snapshot(), "is_default": a.is_default} for a in user.addresses.all()],
        "orders": [
            {
                "number": o.number,
                "placed_at": o.created_at,
                "status": o.status,
                "email": o.email,
                "currency": o.currency,
                "subtotal": o.subtotal,
                "shipping": {"method": o.shipping_label, "cost": o.shipping_cost},
                "tax": o.tax,
                "total": o.total,
                "ship_to": o.address_lines,
                "lines": [
                    {"name": li.name, "sku": li.sku, "unit_price": li.unit_price, "quantity": li.quantity}
                    for li in o.lines.all()
                ],
                "history": [{"at": t.at, "status": t.to_status, "note": t.note} for t in o.transitions.all()],
            }
            for o in orders
        ],
        "sessions": [
            {"device": s.device, "network": s.ip_prefix, "logged_in_at": s.created_at, "last_seen": s.last_seen}
            for s in user.sessions.filter(expire_date__gt=timezone.now())
        ],
    }


def data_export_build(*, export_id: int) -> int:
    """Write the file into the export row; mail a link when it is large. Returns its size in bytes."""
    export = DataExport.objects.select_related("user").filter(pk=export_id, finished_at=None).first()
    if export is None:  # replaced by a newer request, or built already
        return 0
    content = json.dumps(data_export_document(user=export.user), cls=DjangoJSONEncoder, indent=2)
    size = len(content.encode())
    with transaction.atomic():
        updated = DataExport.objects.filter(pk=export.pk, finished_at=None).update(
            content=content, size=size, finished_at=timezone.now()
        )
        if updated and size > settings.ACCOUNT_EXPORT_MAIL_THRESHOLD:
            context = {
                "name": export.user.name,
                "download_path": data_export_path(export),
                "days": settings.ACCOUNT_EXPORT_LINK_MAX_AGE // 86400,
                "size_kb": size // 1024,
            }
            # A worker runs this, outside the user's request: the mail is in the language they last used.
            with translation.override(export.user.language):
                mail_enqueue(to=export.user.email, kind="data_export", context=context, vouched_by=export.user)
    return size


def data_export_path(export: DataExport) -> str:
    return reverse("accounts:data-export-download", args=[signing.dumps(export.pk, salt=LINK_SALT)])


def data_export_for_link(*, token: str, user: User) -> DataExport:
    """The finished export a download link names, if it is `user`'s and still valid."""
    pk = signed_read(
        token,
        salt=LINK_SALT,
        max_age=settings.ACCOUNT_EXPORT_LINK_MAX_AGE,
        invalid=ExportLinkInvalid(_("This download link is not valid.")),
        expired=ExportLinkInvalid(_("This download link has expired: ask for a new file in your profile.")),
    )
    export = DataExport.objects.filter(pk=pk, user=user).exclude(finished_at=None).first()
    if export is None:
        raise ExportLinkInvalid(_("This file is no longer available: ask for a new one in your profile."))
    return export

"""Reads for accounts: sessions and addresses of a user."""

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Address, DataExport, Session, User


def session_list_active(*, user: User) -> QuerySet[Session]:
    """The user's sessions that are still valid, most recently seen first."""
    return Session.objects.filter(user=user, expire_date__gt=timezone.now()).order_by("-last_seen")


def address_list(*, user: User) -> QuerySet[Address]:
    """The user's address book, the default first."""
    return Address.objects.filter(user=user).order_by("-is_default", "created_at", "id")


def address_get(*, user: User, pk: int) -> Address:
    """One of the user's addresses (Address.DoesNotExist for anyone else's)."""
    return Address.objects.get(user=user, pk=pk)


def data_export_latest(*, user: User) -> DataExport | None:
    """The user's latest "download my data" request, without its content (the profile only links to it)."""
    return DataExport.objects.filter(user=user).defer("content").first()

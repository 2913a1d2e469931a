"""Django's database session store on accounts.Session, with idle and absolute expiry.

The row's `expire_date` is the only truth: every instance refuses a row whose time has passed.
- Remembered sessions carry Django's `_session_expiry` (an absolute date: login + SESSION_MAX_AGE).
- All others expire SESSION_IDLE_TIMEOUT after the last activity, and never later than
  SESSION_MAX_AGE after the row was created (the login, since the key rotates then).
"""

import dataclasses
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import IntegrityError, router, transaction
from django.utils import timezone


@dataclasses.dataclass(frozen=True)
class SessionRow:
    """What the store remembers of its row between load and save."""

    created_at: datetime
    last_seen: datetime
    expire_date: datetime


class SessionStore(DBStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        # Filled by accounts.middleware.SessionMiddleware from the request.
        self.user_agent = ""
        self.ip_prefix = ""
        # The key and user of a session the cookie named but whose time had passed.
        self.expired_key: str | None = None
        self.expired_user_id: int | None = None
        self._row: SessionRow | None = None

    @classmethod
    def get_model_class(cls):
        from accounts.models import Session

        return Session

    def load_now(self) -> None:
        """Load the session at once (the middleware checks every request's token up front)."""
        self._get_session()

    def _get_session_from_db(self):
        # Fetched without the expiry filter, so an expired session can be told from an unknown one.
        try:
            row = self.model.objects.get(session_key=self.session_key)
        except (self.model.DoesNotExist, SuspiciousOperation) as exc:
            if isinstance(exc, SuspiciousOperation):
                logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))
            self._session_key = None
            return None
        if row.expire_date <= timezone.now():
            self.expired_key = row.session_key
            self.expired_user_id = row.user_id
            self._session_key = None
            return None
        self._row = SessionRow(row.created_at, row.last_seen, row.expire_date)
        return row

    def create(self) -> None:
        # A new key (first save, or rotation on login) is a new session: its absolute limit starts now.
        self._row = None
        super().create()

    def get_expiry_date(self, **kwargs) -> datetime:
        if kwargs or self.get("_session_expiry"):
            return super().get_expiry_date(**kwargs)
        now = timezone.now()
        created = self._row.created_at if self._row else now
        return min(
            now + timedelta(seconds=settings.SESSION_IDLE_TIMEOUT),
            created + timedelta(seconds=settings.SESSION_MAX_AGE),
        )

    def stored_expiry(self) -> datetime | None:
        """When the stored row expires unless activity slides it (None before the row exists)."""
        return self._row.expire_date if self._row else None

    def get_expiry_age(self, **kwargs) -> int:
        if kwargs or self.get("_session_expiry"):
            return super().get_expiry_age(**kwargs)
        return max(0, int((self.get_expiry_date() - timezone.now()).total_seconds()))

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        now = timezone.now()
        if must_create:
            self._row = None
        created = self._row.created_at if self._row else now
        expire_date = self.get_expiry_date()
        fields = {
            "session_data": self.encode(data),
            "expire_date": expire_date,
            "user_id": _user_id(data),
            "last_seen": now,
        }
        # A save outside a request (a test client, a command) keeps the device the row already has.
        if self.user_agent:
            fields["user_agent"] = self.user_agent
        if self.ip_prefix:
            fields["ip_prefix"] = self.ip_prefix
        using = router.db_for_write(self.model)
        if must_create:
            try:
                with transaction.atomic(using=using):
                    self.model(session_key=self._session_key, created_at=now, **fields).save(
                        force_insert=True, using=using
                    )
            except IntegrityError as exc:
                raise CreateError from exc
        elif not self.model.objects.using(using).filter(session_key=self._session_key).update(**fields):
            raise UpdateError
        self._row = SessionRow(created, now, expire_date)

    def touch(self) -> bool:
        """Slide the idle expiry on activity, writing at most once per SESSION_TOUCH_INTERVAL."""
        if self._row is None or self.session_key is None:
            return False
        now = timezone.now()
        if (now - self._row.last_seen).total_seconds() < settings.SESSION_TOUCH_INTERVAL:
            return False
        expire_date = self.get_expiry_date()
        self.model.objects.filter(session_key=self.session_key).update(last_seen=now, expire_date=expire_date)
        self._row = SessionRow(self._row.created_at, now, expire_date)
        return True


def _user_id(data: dict) -> int | None:
    value = data.get(SESSION_KEY)
    if value is None:
        return None
    try:
        return get_user_model()._meta.pk.to_python(value)
    except ValidationError:
        return None

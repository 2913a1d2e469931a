import re
import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django_countries.fields import CountryField
from phonenumber_field.modelfields import PhoneNumberField
from ua_parser import parse as parse_user_agent


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str) -> "User":
        # Logging in ignores the case of the address, as the uniqueness rule does.
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A shopper or staff member; the e-mail address is the login identifier."""

    email = models.EmailField("e-mail address", max_length=254, unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Can log into the admin site.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # When the owner proved they read mail at `email` (a confirmation link); None: not yet.
    email_verified_at = models.DateTimeField("e-mail verified at", null=True, blank=True)
    # The language of the mail sent outside a request (the data export link, built by a worker): the one
    # of the user's latest request, kept by accounts.middleware.UserLanguageMiddleware.
    language = models.CharField(max_length=7, db_default="en")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        constraints = [
            # Case-insensitive uniqueness: Alice@x.org and alice@x.org are one account.
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message="A user with this e-mail address already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class EmailConfirmation(models.Model):
    """One confirmation link sent to an address: the account's own, or the new one it asked to change to.

    The link carries this row's id, signed; `confirmed_at` makes it work once.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_confirmations")
    email = models.EmailField("e-mail address", max_length=254)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.email} ({'confirmed' if self.confirmed_at else 'waiting'})"


class Session(AbstractBaseSession):
    """A server-side session token, tied to its user so it can be listed and revoked.

    `expire_date` is the truth: a row whose expire_date has passed is refused by every instance.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions")
    user_agent = models.CharField(max_length=300, blank=True)
    ip_prefix = models.CharField("IP prefix", max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta(AbstractBaseSession.Meta):
        ordering = ["-last_seen"]

    @classmethod
    def get_session_store_class(cls):
        from accounts.sessions.db import SessionStore

        return SessionStore

    @property
    def device(self) -> str:
        return describe_user_agent(self.user_agent)


def describe_user_agent(user_agent: str) -> str:
    """A human name for a User-Agent string ("Chrome on iPhone"), from ua-parser's maintained rules."""
    if not user_agent:
        return gettext("Unknown device")
    parsed = parse_user_agent(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent and parsed.user_agent.family != "Other" else ""
    # "Chrome Mobile iOS", "Firefox iOS", "Edge Mobile": the system is named after "on".
    browser = re.sub(r"( Mobile)?( iOS)?$", "", browser)
    device = parsed.device.family if parsed.device else ""
    system = device if device in ("iPhone", "iPad") else (parsed.os.family if parsed.os else "")
    system = {"Mac OS X": "macOS", "Other": ""}.get(system, system)
    if browser and system:
        return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or user_agent[:60]


class Address(models.Model):
    """A shipping address in a user's address book; at most one default per user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    name = models.CharField(max_length=150)
    line1 = models.CharField("address line 1", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postcode = models.CharField(max_length=20, blank=True)
    country = CountryField()
    phone = PhoneNumberField(blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_default", "created_at", "id"]
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_default=True),
                name="accounts_address_one_default_per_user",
                violation_error_message="Only one address can be the default.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.line1}, {self.postcode} {self.city}, {self.country}"

    def lines(self) -> list[str]:
        """The address as printed on a parcel label."""
        return [
            line
            for line in (self.name, self.line1, self.line2, f"{self.postcode} {self.city}".strip(), self.country.name)
            if line
        ]

    def snapshot(self) -> dict[str, str]:
        """The address as plain strings (the checkout keeps it in the session, the order copies it)."""
        return {
            "name": self.name,
            "line1": self.line1,
            "line2": self.line2,
            "city": self.city,
            "postcode": self.postcode,
            "country": self.country.code,
            "phone": str(self.phone or ""),
        }


class LaunchSubscriber(models.Model):
    """An address left on the storefront password page: "tell me when you open"."""

    email = models.EmailField("e-mail address", max_length=254)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_launchsubscriber_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email


class DataExport(models.Model):
    """A "download my data" file (GDPR articles 15 and 20): built by a task, kept until the next request.

    The JSON lives in the row: a shopper's data is small, and the database is already private and backed up.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="data_exports")
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    content = models.TextField(blank=True)
    size = models.PositiveIntegerField(default=0, help_text="Bytes of the JSON file.")

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"data export of {self.user_id} ({'ready' if self.finished_at else 'building'})"

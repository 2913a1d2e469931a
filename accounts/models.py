import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.countries import COUNTRIES
from accounts.useragent import describe_user_agent


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


class Address(models.Model):
    """A shipping address in a user's address book; at most one default per user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    name = models.CharField(max_length=150)
    line1 = models.CharField("address line 1", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postcode = models.CharField(max_length=20)
    country = models.CharField(max_length=2, choices=COUNTRIES)
    phone = models.CharField(max_length=32, blank=True)
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
            for line in (self.name, self.line1, self.line2, f"{self.postcode} {self.city}", self.get_country_display())
            if line
        ]


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

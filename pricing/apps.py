from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "pricing"
    verbose_name = "prices and tax"

    def ready(self) -> None:
        from pricing import checks  # noqa: F401 - registers the system checks

from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = "Sandbox payment provider (test mode)"
    default_auto_field = "django.db.models.BigAutoField"

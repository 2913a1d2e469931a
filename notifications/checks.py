from django.conf import settings
from django.core import checks

# One SMTP delivery is several socket operations (connect, EHLO, MAIL, RCPT, DATA, QUIT), each of
# which may take up to EMAIL_TIMEOUT.
SOCKET_STEPS = 6


@checks.register(checks.Tags.compatibility)
def sending_timeout_outlasts_a_delivery(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The sweep must not re-queue a message a live worker is still sending (that would send it twice)."""
    slowest = settings.EMAIL_TIMEOUT * SOCKET_STEPS
    if settings.NOTIFY_SENDING_TIMEOUT <= slowest:
        return [
            checks.Warning(
                f"NOTIFY_SENDING_TIMEOUT ({settings.NOTIFY_SENDING_TIMEOUT}s) is not longer than a slow SMTP "
                f"delivery can take ({SOCKET_STEPS} x EMAIL_TIMEOUT = {slowest}s): the sweep could re-queue a "
                "message that is still being sent, and it would go out twice.",
                hint=f"Set NOTIFY_SENDING_TIMEOUT above {slowest} or lower EMAIL_TIMEOUT.",
                id="notifications.W001",
            )
        ]
    return []

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cart.models import Cart

pytestmark = pytest.mark.django_db


def prune(*args) -> str:
    out = StringIO()
    call_command("prune_carts", *args, stdout=out)
    return out.getvalue()


def test_prune_carts_deletes_old_anonymous_carts_and_reports_the_count(user, time_machine):
    time_machine.move_to("2026-11-01T00:00:00Z", tick=False)
    Cart.objects.create(token="a" * 43)
    Cart.objects.create(token="b" * 43)
    Cart.objects.create(user=user)
    time_machine.move_to("2026-11-02T06:00:00Z", tick=False)
    Cart.objects.create(token="c" * 43)

    assert prune("--older-than", "30d") == "Deleted 0 anonymous carts not changed for 30d.\n"
    assert prune("--older-than", "12h") == "Deleted 2 anonymous carts not changed for 12h.\n"
    assert Cart.objects.count() == 2
    time_machine.move_to("2026-12-10T00:00:00Z", tick=False)
    assert prune() == "Deleted 1 anonymous cart not changed for 30d.\n"


@pytest.mark.parametrize("value", ["30", "0d", "-1d", "3w", "d", "1.5d", ""])
def test_prune_carts_refuses_an_unclear_age(value):
    with pytest.raises(CommandError, match="positive number of days or hours"):
        prune(f"--older-than={value}")

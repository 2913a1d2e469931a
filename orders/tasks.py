"""Background work of orders: thin shells over orders.payments (arguments are JSON).

Task modules import what they wrap; the services that enqueue these import them inside the function.
"""

from django_tasks import task

from orders import payments


@task()
def order_expire(order_id: int) -> str:
    return payments.order_expire(order_id=order_id)


@task()
def payment_heal(payment_id: int) -> str:
    return payments.payment_heal(payment_id=payment_id)

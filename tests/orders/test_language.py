"""Orders in the shopper's language: German checkout, order, history and invoice pages, and every mail about
an order written in the language it was placed in, whoever sends it later (staff, the worker, a webhook)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_noop

from accounts.models import User
from discounts.models import Voucher
from notifications.models import Message
from notifications.services import mail_enqueue
from orders.models import Order
from orders.services import order_cancel, order_ship
from tests.api.conftest import api_for
from tests.factories import make_product
from tests.notifications import conftest as mail_fixtures
from tests.orders.conftest import ADDRESS, fill_cart, make_shopper, pay, place

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}
smtp_server = mail_fixtures.smtp_server  # the real SMTP server on loopback


def german(client: Client, url: str):
    """A page as a German-speaking shopper asks for it (the one place that says how a request asks for German)."""
    return client.get(url, **GERMAN, follow=True)


def german_post(client: Client, url: str, data: dict):
    """A form posted from a German page: to its /de/ URL."""
    return client.post(f"/de{url}", data, **GERMAN)


def missing(page: str, *texts: str) -> list[str]:
    return [text for text in texts if text not in page]


def text_of(response) -> str:
    return response.content.decode()


def guest_checkout(client: Client, product, post) -> Order:
    """A guest's whole checkout, every request made by `post` (German or English)."""
    assert client.post("/cart/add/", {"product": product.pk, "quantity": 1}).status_code in (200, 302)
    post(client, "/checkout/start/", {"email": "gast@example.de"})
    post(client, "/checkout/", {"address": "new", **{f"new-{k}": v for k, v in ADDRESS.items()}})
    post(client, "/checkout/shipping/", {"method": "standard"})
    page = client.get("/checkout/review/").content.decode()
    quote = re.search(r'name="quote" value="([^"]+)"', page)[1]
    token = re.search(r'name="token" value="([^"]+)"', page)[1]
    post(client, "/checkout/place/", {"quote": quote, "token": token})
    return Order.objects.get(checkout_token=token)


def english_post(client: Client, url: str, data: dict):
    return client.post(url, data)


def mails_to(smtp_server, address: str) -> list:
    return [m for m in smtp_server.inbox.messages if m["To"] == address]


def body(mail, kind: str = "plain") -> str:
    return mail.get_body(preferencelist=(kind,)).get_content()


# --- The order remembers its language ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_guest_checking_out_in_german_places_a_german_order(client):
    order = guest_checkout(client, make_product("Messingzahnrad", stock=3), german_post)

    assert order.language == "de"


@pytest.mark.django_db
def test_an_order_placed_without_a_language_asked_for_is_english(client):
    order = guest_checkout(client, make_product("Brass gear", stock=3), english_post)

    assert order.language == "en"


@pytest.mark.django_db
def test_a_members_order_takes_the_active_language_and_an_unknown_one_falls_back_to_english():
    shopper = make_shopper()
    fill_cart(shopper, (make_product("Brass gear", stock=5), 1))
    with translation.override("de"):
        assert place(shopper).language == "de"
    fill_cart(shopper, (make_product("Brass cog", stock=5), 1))
    with translation.override("fr"):
        assert place(shopper).language == "en"


@pytest.mark.django_db
def test_the_api_places_the_order_in_the_accept_language_and_english_by_default():
    shopper = User.objects.create_user("api@example.com", "a-long-and-unusual-passphrase-42", name="Ada")
    api = api_for(shopper)
    fill_cart(shopper, (make_product("Brass gear", stock=5), 1))
    german_answer = api.post("/invoices", {"address": ADDRESS}, **{"Accept-Language": "de"})
    fill_cart(shopper, (make_product("Brass cog", stock=5), 1))
    plain_answer = api.post("/invoices", {"address": ADDRESS})

    assert german_answer.status_code == plain_answer.status_code == 201
    languages = dict(Order.objects.values_list("invoice__pk", "language"))
    assert languages[german_answer.json()["id"]] == "de"
    assert languages[plain_answer.json()["id"]] == "en"


# --- Mails in the order's language, through the real SMTP server and worker ----------------------------


@pytest.mark.django_db(transaction=True)
def test_a_german_orders_confirmation_and_later_mails_are_german(smtp_server, worker, client):
    order = guest_checkout(client, make_product("Messingzahnrad", price=Decimal("1620.44"), stock=3), german_post)
    worker()
    pay(order)  # the provider's answer, outside any shopper's request
    order_ship(order=order, actor="staff x")  # staff, in English
    worker()

    subjects = [m["Subject"] for m in mails_to(smtp_server, "gast@example.de")]
    assert subjects == [
        f"Shop: Bestellung {order.number} bestätigt",
        f"Shop: Zahlung für Bestellung {order.number} erhalten",
        f"Shop: Bestellung {order.number} ist unterwegs",
    ]
    confirmation, receipt, shipped = mails_to(smtp_server, "gast@example.de")
    assert "vielen Dank für Ihre Bestellung" in body(confirmation)
    assert "Gesamt: 1.625,34\xa0€" in body(confirmation)
    assert '<html lang="de">' in body(confirmation, "html")
    assert "Bestellung ansehen" in body(confirmation, "html")
    assert "wir haben Ihre Zahlung über 1.625,34\xa0€" in body(receipt)
    assert re.search(r"Bezahlt am: \d{1,2}\. \w+ \d{4} \d\d:\d\d", body(receipt))
    assert "wurde versandt" in body(shipped)
    for mail in (confirmation, receipt, shipped):
        assert not [english for english in ("Hello", "Your order", "See your order") if english in body(mail)]


@pytest.mark.django_db(transaction=True)
def test_the_worker_cancelling_a_german_order_writes_the_reason_in_german(smtp_server, worker, client):
    order = guest_checkout(client, make_product("Messingzahnrad", stock=3), german_post)
    order_cancel(order=order, actor="reservation expiry", reason=gettext_noop("The payment did not arrive in time."))
    worker()

    cancelled = mails_to(smtp_server, "gast@example.de")[-1]
    assert cancelled["Subject"] == f"Shop: Bestellung {order.number} storniert"
    assert "Die Zahlung ist nicht rechtzeitig eingegangen." in body(cancelled)
    assert "Es wurde kein Geld dafür abgebucht" in body(cancelled)


@pytest.mark.django_db(transaction=True)
def test_an_english_orders_mails_stay_english_even_when_staff_work_in_german(smtp_server, worker, client):
    order = guest_checkout(client, make_product("Brass gear", stock=3), english_post)
    pay(order)
    with translation.override("de"):  # a German-speaking member of staff ships it
        order_ship(order=order, actor="staff x")
    worker()

    subjects = [m["Subject"] for m in mails_to(smtp_server, "gast@example.de")]
    assert subjects == [
        f"Shop: order {order.number} confirmed",
        f"Shop: payment received for order {order.number}",
        f"Shop: order {order.number} is on its way",
    ]
    assert "Hello Ada Lovelace," in body(mails_to(smtp_server, "gast@example.de")[2])


@pytest.mark.django_db
def test_mail_enqueue_writes_in_the_language_asked_for_else_the_active_one():
    user = make_shopper()
    with translation.override("de"):
        active = mail_enqueue(to=user.email, kind=Message.Kind.ORDER_SHIPPED, context={"order_number": "K7Q4-MZ2X"})
    english = mail_enqueue(
        to=user.email, kind=Message.Kind.ORDER_SHIPPED, context={"order_number": "K7Q4-MZ2X"}, language="en"
    )
    asked = mail_enqueue(
        to=user.email, kind=Message.Kind.ORDER_SHIPPED, context={"order_number": "K7Q4-MZ2X"}, language="de"
    )

    assert active.subject == asked.subject == "Shop: Bestellung K7Q4-MZ2X ist unterwegs"
    assert english.subject == "Shop: order K7Q4-MZ2X is on its way"
    assert translation.get_language() == "en"  # rendering left the active language as it was


# --- Pages in German ------------------------------------------------------------------------------------


@pytest.fixture
def member(db):
    shopper = make_shopper()
    fill_cart(shopper, (make_product("Messingzahnrad", price=Decimal("1620.44"), stock=5), 1))
    return shopper


def test_the_checkout_steps_are_german(client, member):
    client.force_login(member)

    address = text_of(german(client, "/checkout/"))
    german_post(client, "/checkout/", {"address": "new", **{f"new-{k}": v for k, v in ADDRESS.items()}})
    shipping = text_of(german(client, "/checkout/shipping/"))
    german_post(client, "/checkout/shipping/", {"method": "standard"})
    review = text_of(german(client, "/checkout/review/"))

    assert not missing(address, "<h1>Kasse</h1>", "Lieferadresse", "Weiter zum Versand")
    assert not missing(address, "Kaufen Sie für ein Unternehmen?", "USt-IdNr.")
    assert not missing(shipping, "Versandart", "Standardversand: 4,90\xa0€")
    assert not missing(review, "Bestellung prüfen", "Zwischensumme", "Zahlungspflichtig bestellen")
    assert "Versand (Standardversand)" in review
    assert ">Österreich</option>" in address  # country names in German
    assert "Vereinigtes Königreich" in review
    for page in (address, shipping, review):
        for english in ("Continue to", "Shipping address", "Subtotal", "Place order", "Standard delivery"):
            assert english not in page


def test_a_german_checkout_refusal_is_german(client, member):
    client.force_login(member)
    german_post(client, "/checkout/", {"address": "new", **{f"new-{k}": v for k, v in ADDRESS.items()}})
    german_post(client, "/checkout/shipping/", {"method": "standard"})

    refused = german_post(client, "/checkout/place/", {"quote": "stale", "token": "t" * 32})

    assert refused.status_code == 409
    assert "Ihr Warenkorb oder seine Preise haben sich seit Ihrer Prüfung geändert" in text_of(refused)
    assert "Neue Gesamtsumme bestätigen und zahlungspflichtig bestellen" in text_of(refused)


@pytest.mark.django_db
def test_a_voucher_refusal_and_the_savings_are_german(client):
    Voucher.objects.create(code="HERBST", kind="fixed", value=Decimal("5.00"), minimum_order=Decimal("50.00"))
    client.post("/cart/add/", {"product": make_product("Zahnrad", price=Decimal("20.00")).pk, "quantity": 1})

    answer = client.post("/de/cart/voucher/", {"code": "HERBST", "next": "cart"}, **GERMAN, follow=True)
    unknown = client.post("/de/cart/voucher/", {"code": "GIBTSNICHT", "next": "cart"}, **GERMAN, follow=True)

    assert "Legen Sie Waren für weitere 30,00\xa0€ in den Warenkorb, um diesen Code zu nutzen." in text_of(answer)
    assert "Dieser Code ist nicht gültig." in text_of(unknown)


def test_the_order_page_history_and_invoice_are_german_with_dates_by_locale(client, member):
    order = place(member)
    client.force_login(member)

    detail = text_of(german(client, order.get_absolute_url()))
    history = text_of(german(client, "/orders/"))
    invoice = text_of(german(client, f"/orders/{order.number}/invoice/"))

    assert f"<h1>Bestellung {order.number}</h1>" in detail
    assert not missing(detail, "Zahlung ausstehend", "Jetzt bezahlen", "Verlauf")
    assert "Bestellung aufgegeben" in detail  # the history's note, stored in English
    assert not missing(history, "Zahlung ausstehend", "Ihre Bestellungen")
    assert not missing(invoice, "Rechnung", "Rechnungsempfänger", "Einzelpreis")
    assert not missing(invoice, "Fälliger Betrag", "Ausgestellt", "1.625,34\xa0€")
    with translation.override("de"):
        issued = date_format(timezone.localtime(order.invoice.issued_at), "DATE_FORMAT")
    assert re.fullmatch(r"\d{1,2}\. \w+ \d{4}", issued)  # "3. Dezember 2026"
    assert issued in invoice
    for page in (detail, history, invoice):
        for english in ("awaiting payment", "Awaiting payment", "Subtotal", "Amount due", "History"):
            assert english not in page


def test_the_english_pages_stay_english(client, member):
    order = place(member)
    client.force_login(member)

    detail = text_of(client.get(order.get_absolute_url()))
    invoice = text_of(client.get(f"/orders/{order.number}/invoice/"))

    assert not missing(detail, "Awaiting payment", "Pay now", "(order placed)")
    assert not missing(invoice, "Amount due", "Billed to", "Shipping (Standard delivery)")
    assert "Zahlung" not in detail + invoice


@pytest.mark.django_db
def test_a_german_order_page_shows_the_failed_payment_in_german(client, member):
    order = place(member)
    client.force_login(member)
    order.invoice.payments.create(
        gateway="sandbox",
        idempotency_key="k-1",
        amount=order.total,
        status="failed",
        message=gettext_noop("The payment did not go through."),
        updated_at=timezone.now() - timedelta(seconds=1),
    )

    detail = text_of(german(client, order.get_absolute_url()))

    assert "Ihr letzter Zahlungsversuch ist fehlgeschlagen: Die Zahlung ist nicht durchgegangen." in detail

"""The account pages and mails in German; English stays as it was; User.language for mail sent by a worker."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import User
from notifications.models import Message
from tests.accounts.conftest import PASSWORD, login
from tests.notifications.conftest import drain_tasks, smtp_server, worker  # noqa: F401 (fixtures)

# How a request asks for German: a German browser (redirected to /de/ for a page); a form posts to the /de/ URL.
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


def german(client, url, **kw):
    return client.get(url if url.startswith("/de/") else f"/de{url}", **GERMAN, **kw)


def german_post(client, url, data, **kw):
    return client.post(f"/de{url}", data, **GERMAN, **kw)


@pytest.mark.django_db
def test_the_login_page_is_german_for_a_german_visitor(client):
    page = german(client, "/accounts/login/").text

    assert '<h1 id="login-heading">Anmelden</h1>' in page
    assert "E-Mail-Adresse" in page
    assert "Passwort vergessen?" in page
    assert "Auf diesem Gerät angemeldet bleiben" in page
    for english in ("Forgot your password?", "Remember me on this device", "Create an account", "New here?"):
        assert english not in page


@pytest.mark.django_db
def test_the_login_page_stays_english_by_default(client):
    page = client.get("/accounts/login/").text

    assert "Forgot your password?" in page
    assert "Remember me on this device" in page
    assert "Anmelden" not in page


@pytest.mark.django_db
def test_a_wrong_login_says_so_in_german(client, user):
    page = german_post(client, "/accounts/login/", {"username": user.email, "password": "wrong"}).text

    assert "Diese E-Mail-Adresse und dieses Passwort passen zu keinem Konto." in page


@pytest.mark.django_db
def test_registration_in_german_shows_german_form_errors(client):
    page = german(client, "/accounts/register/").text
    assert "Konto erstellen" in page
    assert "Passwort (wiederholen)" in page
    assert "Create account" not in page

    response = german_post(
        client,
        "/accounts/register/",
        {"email": "neu@example.org", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )
    assert response.status_code == 200
    assert "Die beiden Passwörter stimmen nicht überein." in response.text
    assert "The two passwords do not match." not in response.text


@pytest.mark.django_db
def test_registering_in_german_welcomes_in_german_and_remembers_the_language(client):
    response = german_post(
        client,
        "/accounts/register/",
        {"email": "neu@example.org", "name": "Nina", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.get(email="neu@example.org").language == "de"
    assert "Willkommen! Ihr Konto ist eingerichtet." in german(client, response.url).text
    welcome = Message.objects.get(kind=Message.Kind.WELCOME)
    assert welcome.subject == "Willkommen bei Shop"
    assert "Guten Tag Nina," in welcome.body_text
    confirm = Message.objects.get(kind=Message.Kind.EMAIL_CONFIRM)
    assert confirm.subject == "Bestätigen Sie Ihre E-Mail-Adresse für Shop"


@pytest.mark.django_db
def test_the_profile_is_german(client, user):
    client.force_login(user)
    page = german(client, "/accounts/profile/").text

    for text in (
        "Ihr Konto",
        "Adressbuch",
        "Ihr Adressbuch ist leer.",
        "Adresse hinzufügen",
        "Meine Daten herunterladen",
    ):
        assert text in page
    assert "Adresszeile 1" in page  # the address form's labels
    assert "Address line 1" not in page
    assert "Address book" not in page
    assert "Your account" not in page


@pytest.mark.django_db
def test_the_sessions_page_is_german_with_a_german_date(client, user):
    with time_machine.travel(datetime(2026, 3, 10, 9, 30, tzinfo=UTC), tick=False):
        login(client)
    with time_machine.travel(datetime(2026, 3, 10, 9, 40, tzinfo=UTC), tick=False):
        page = german(client, "/accounts/sessions/", HTTP_USER_AGENT="").text

    assert "Ihre Sitzungen" in page
    assert "Diese Sitzung" in page
    assert "Unbekanntes Gerät" in page
    assert "vor 10\u00a0Minuten" in page  # not "10 minutes ago"
    assert "10. März 2026" in page
    for english in ("Your sessions", "This session", "Last seen", " ago", "Mar 2026"):
        assert english not in page


@pytest.mark.django_db
def test_a_german_message_after_a_german_action(client, user):
    client.force_login(user)
    response = german_post(client, "/accounts/profile/", {"name": "Sam", "email": user.email}, follow=True)

    assert "Ihr Profil wurde gespeichert." in response.text


@pytest.mark.django_db
def test_the_lockout_page_is_german(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = german_post(client, "/accounts/login/", {"username": user.email, "password": "wrong"})

    assert response.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche." in response.text
    assert "Too many" not in response.text


@pytest.mark.django_db(transaction=True)
def test_the_password_reset_mail_reaches_the_mailbox_in_german(client, user, smtp_server, worker):  # noqa: F811
    response = german_post(client, "/accounts/password/reset/", {"email": user.email})
    assert "Sehen Sie in Ihre E-Mails" in german(client, response.url).text

    with translation.override("en"):  # the worker has no request: the mail was rendered when it was queued
        worker()

    [mail] = smtp_server.inbox.messages
    assert mail["Subject"] == "Ihr Passwort bei Shop zurücksetzen"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Guten Tag Sam Shopper," in text
    assert "Um ein neues Passwort zu wählen, öffnen Sie" in text
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "Wählen Sie ein neues Passwort" in html
    assert "Choose a new password" not in html


@pytest.mark.django_db
def test_a_logged_in_users_language_follows_their_requests(client, user):
    client.force_login(user)
    german(client, "/accounts/profile/")
    user.refresh_from_db()
    assert user.language == "de"

    client.get("/accounts/profile/")
    user.refresh_from_db()
    assert user.language == "en"


@pytest.mark.django_db
def test_an_unchanged_language_costs_no_query(client, user):
    client.force_login(user)
    german(client, "/accounts/profile/")
    with CaptureQueriesContext(connection) as counted:
        german(client, "/accounts/profile/")
    assert not [q for q in counted.captured_queries if '"language"' in q["sql"] and "UPDATE" in q["sql"]]


@pytest.mark.django_db(transaction=True)
def test_the_data_export_mail_a_worker_sends_is_in_the_users_language(client, user, settings):
    settings.ACCOUNT_EXPORT_MAIL_THRESHOLD = 10
    client.force_login(user)
    german_post(client, "/accounts/data/", {})

    with translation.override("en"):  # the worker's own language does not count
        drain_tasks()

    message = Message.objects.get(kind=Message.Kind.DATA_EXPORT)
    assert message.subject == "Ihre Daten bei Shop sind bereit"
    assert "die Datei mit Ihren Daten" in message.body_text
    assert "Ihre Daten sind bereit" in message.body_html


@pytest.mark.django_db(transaction=True)
def test_the_data_export_mail_of_an_english_user_is_english_whatever_the_worker_speaks(client, user, settings):
    settings.ACCOUNT_EXPORT_MAIL_THRESHOLD = 10
    client.force_login(user)
    client.post("/accounts/data/")

    with translation.override("de"):
        drain_tasks()

    message = Message.objects.get(kind=Message.Kind.DATA_EXPORT)
    assert message.subject == "Your Shop data is ready"
    assert "the file with your data" in message.body_text


def test_user_agents_are_described_in_the_active_language():
    from accounts.models import describe_user_agent

    ua = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
    with translation.override("de"):
        assert describe_user_agent(ua) == "Firefox auf Linux"
        assert describe_user_agent("") == "Unbekanntes Gerät"
    assert describe_user_agent(ua) == "Firefox on Linux"

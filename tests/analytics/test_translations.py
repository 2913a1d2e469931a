"""The staff report in German (a German-speaking merchant reads it): labels, dates, numbers, form errors.

The CSV exports keep English column names: they are a machine format.
"""

import pytest
import time_machine

from tests.analytics.conftest import NOW

# How a request asks for German. The one place to change when German pages move under /de/.
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


def german(client, url, **kw):
    return client.get(url, follow=True, **GERMAN, **kw)


pytestmark = pytest.mark.django_db


@time_machine.travel(NOW, tick=False)
def test_the_report_is_german_with_german_dates_and_numbers(client, staff, known_events):
    page = german(client, "/staff/analytics/?from=2026-03-08&to=2026-03-14").text

    assert "<h1>Statistik</h1>" in page
    assert "<strong>8. März 2026 – 14. März 2026</strong> (7 Tage)" in page
    assert "im Vergleich mit 1. März 2026 – 7. März 2026." in page
    assert '<th scope="row">Umsatz (bezahlt)</th>' in page
    assert "30,00\xa0€" in page
    assert "+50,0%" in page
    assert '<th scope="col">Veränderung</th>' in page
    assert "Produktaufrufe pro Tag, 08 Mär 2026 bis 14 Mär 2026: insgesamt 6, höchster Wert 4 am 10 Mär 2026." in page
    assert "Ein Produkt angesehen: 4 (100,0 % des ersten Schritts)" in page
    assert "Di, 10. März 2026" in page  # the daily table
    for english in ("Totals", "Revenue (paid)", "Conversion funnel", "compared with", "Mar 2026", "Top searches"):
        assert english not in page


@time_machine.travel(NOW, tick=False)
def test_a_wrong_period_is_refused_in_german(client, staff):
    response = client.get("/staff/analytics/?from=2026-03-14&to=2026-03-08", **GERMAN)

    assert response.status_code == 400
    assert "Das Anfangsdatum liegt nach dem Enddatum." in response.text


@time_machine.travel(NOW, tick=False)
def test_the_csv_export_keeps_english_column_names(client, staff, known_events):
    response = client.get("/staff/analytics/daily.csv?from=2026-03-08&to=2026-03-14", **GERMAN)
    assert response.status_code == 200

    first_line = b"".join(response.streaming_content).decode().splitlines()[0]
    assert first_line.startswith("day,visits,views")

"""The starter privacy page names the language switcher's cookie too (only where staff left its text as it was)."""

from django.db import migrations

OLD = "Your answer to the cookie notice is kept in shop_consent.\n\n"
NEW = (
    "Your answer to the cookie notice is kept in shop_consent, and the language you pick at the foot of "
    "the page in django_language.\n\n"
)


def forwards(apps, schema_editor):
    Page = apps.get_model("storefront", "Page")
    for page in Page.objects.filter(slug="privacy", body__contains=OLD):
        page.body = page.body.replace(OLD, NEW)
        page.save(update_fields=["body"])


def backwards(apps, schema_editor):
    Page = apps.get_model("storefront", "Page")
    for page in Page.objects.filter(slug="privacy", body__contains=NEW):
        page.body = page.body.replace(NEW, OLD)
        page.save(update_fields=["body"])


class Migration(migrations.Migration):
    dependencies = [("storefront", "0002_starter_pages")]

    operations = [migrations.RunPython(forwards, backwards)]

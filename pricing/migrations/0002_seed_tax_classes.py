from django.db import migrations

CLASSES = [("standard", "Standard rate"), ("reduced", "Reduced rate"), ("zero", "Zero rate")]


def seed(apps, schema_editor):
    TaxClass = apps.get_model("pricing", "TaxClass")
    for code, name in CLASSES:
        TaxClass.objects.get_or_create(code=code, defaults={"name": name})


def unseed(apps, schema_editor):
    TaxClass = apps.get_model("pricing", "TaxClass")
    TaxClass.objects.filter(code__in=[code for code, _ in CLASSES], rates__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("pricing", "0001_tax_classes_and_rates")]

    operations = [migrations.RunPython(seed, unseed)]

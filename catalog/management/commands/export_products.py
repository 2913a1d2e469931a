from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.services import products_export


class Command(BaseCommand):
    help = "Write every product (archived ones included) to a CSV file that import_products reads back."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the CSV file to write ('-' for standard output)")

    def handle(self, *args, file: Path, **options):
        if str(file) == "-":
            count = products_export(self.stdout)
        else:
            try:
                with file.open("w", encoding="utf-8", newline="") as stream:
                    count = products_export(stream)
            except OSError as exc:
                raise CommandError(f"cannot write {file}: {exc.strerror}") from exc
            self.stdout.write(self.style.SUCCESS(f"Exported {count} products to {file}."))

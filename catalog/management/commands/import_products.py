from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.services import CSV_COLUMNS, products_import


class Command(BaseCommand):
    help = (
        "Create or update products by SKU from a UTF-8 CSV file with the header "
        f"{','.join(CSV_COLUMNS)}. All or nothing: any bad row and nothing is applied."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check every row and report; change nothing")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="apply the good rows and report the bad ones as skipped (instead of applying nothing)",
        )

    def handle(self, *args, file: Path, dry_run: bool, skip_invalid: bool, verbosity: int, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from exc
        rows = max(data.count(b"\n") - 1, 0)
        with tqdm(total=rows, desc="rows", unit="", disable=verbosity == 0, file=self.stderr) as bar:
            result = products_import(data, dry_run=dry_run, skip_invalid=skip_invalid, progress=bar.update)
        for error in result.errors:
            self.stderr.write(f"{file}: {error}")
        if result.fatal:
            raise CommandError(f"{len(result.errors)} error(s); nothing was applied.")
        if result.errors and not skip_invalid:
            raise CommandError(
                f"{len(result.errors)} error(s) in {result.skipped} row(s); nothing was applied. The other rows "
                f"would give {result.created} created, {result.updated} updated (--skip-invalid applies them)."
            )
        summary = f"{result.created} created, {result.updated} updated, {result.skipped} skipped"
        if dry_run:
            self.stdout.write(f"Dry run, nothing applied: {summary}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported: {summary}."))

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.demo import MAX_PRODUCTS, seed_demo


class Command(BaseCommand):
    help = "Create the demo catalog (categories, products, generated images). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=200, help=f"how many demo products (0-{MAX_PRODUCTS})")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the catalog has products")

    def handle(self, *args, products: int, if_empty: bool, verbosity: int, **options):
        from catalog.selectors import catalog_is_empty

        if if_empty and not catalog_is_empty():
            if verbosity:
                self.stdout.write("seed_demo: the catalog has products; nothing to do.")
            return
        if not 0 <= products <= MAX_PRODUCTS:
            raise CommandError(f"--products must be between 0 and {MAX_PRODUCTS}, not {products}")
        with tqdm(total=products, desc="products", unit="", disable=verbosity == 0, file=self.stderr) as bar:
            result = seed_demo(products, progress=bar.update)
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"seed_demo: {result['products_added']} products added, "
                    f"{result['products_total']} demo products in all."
                )
            )

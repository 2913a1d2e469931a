"""sitemap.xml: products, categories and content pages in every language (django.contrib.sitemaps splits them
into pages)."""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from catalog import selectors as catalog_selectors
from storefront.models import Page


class _ShopSitemap(Sitemap):
    # Every URL once per language, each with its <xhtml:link hreflang> alternates and an x-default.
    i18n = True
    alternates = True
    x_default = True

    @property
    def limit(self) -> int:
        # Google's (and the protocol's) ceiling is 50,000 URLs per file; a setting so tests can split small.
        return settings.SEO_SITEMAP_LIMIT


class ProductSitemap(_ShopSitemap):
    changefreq = "weekly"

    def items(self):
        tree = catalog_selectors.category_tree(catalog_selectors.catalog_version())
        return catalog_selectors.product_visible(tree).only("slug", "updated_at").order_by("pk")

    def lastmod(self, product):
        return product.updated_at

    def get_latest_lastmod(self):
        # One aggregate instead of Django's default walk over every product.
        return self.items().aggregate(latest=Max("updated_at"))["latest"]


class CategorySitemap(_ShopSitemap):
    changefreq = "weekly"

    def items(self):
        tree = catalog_selectors.category_tree(catalog_selectors.catalog_version())
        return [c for c in tree.categories if tree.is_visible(c)]

    def lastmod(self, category):
        return category.updated_at


class PageSitemap(_ShopSitemap):
    changefreq = "monthly"

    def items(self):
        return [("home", None), ("catalog:product-list", None)] + [
            (None, page) for page in Page.objects.filter(is_published=True).order_by("pk")
        ]

    def location(self, item):
        name, page = item
        return page.get_absolute_url() if page else reverse(name)

    def lastmod(self, item):
        return item[1].updated_at if item[1] else None


SITEMAPS = {"pages": PageSitemap, "categories": CategorySitemap, "products": ProductSitemap}

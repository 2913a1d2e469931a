"""Query budgets shared by the tests that pin a page's queries."""

# storefront.selectors.chrome_get: the brand row and the footer's pages, read when the cache is cold (each
# test starts cold: tests/conftest.py) and then cached for every visitor and process.
CHROME = 2

# storefront.templatetags.seo.product_json_ld: the product's primary image for the JSON-LD block on a cold
# cache (then cached per catalog version).
JSON_LD = 1

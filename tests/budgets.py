"""Query budgets shared by the tests that pin a page's queries."""

# storefront.selectors.chrome_get: the brand row and the footer's pages, read when the cache is cold (each
# test starts cold: tests/conftest.py) and then cached for every visitor and process.
CHROME = 2

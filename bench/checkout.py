"""Checkout pages for `make bench`: a shopper with a cart, an address and shipping chosen, and one order.

`prepare()` runs in PREPARE (creates the shopper); `shopper_session(base)` logs in over HTTP against the
running server and walks the real checkout forms, so the measured pages are exactly what shoppers get.
"""

import http.cookiejar
import re
import urllib.parse
import urllib.request

EMAIL = "bench-shopper@example.com"
PASSWORD = "bench-shopper-passphrase-4711"
PRODUCT = "/products/birch-walnut-floor-lamp/"


def prepare() -> None:
    """Idempotent: the bench shopper exists with a known password (run inside manage.py shell)."""
    from accounts.models import User

    user = User.objects.filter(email=EMAIL).first() or User.objects.create_user(EMAIL, PASSWORD)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path, timeout=30) as response:  # noqa: S310 - loopback only
            return response.geturl(), response.read().decode()

    def post(self, path: str, data: dict) -> tuple[str, str]:
        data = {"csrfmiddlewaretoken": self.cookie("csrftoken"), **data}
        request = urllib.request.Request(  # noqa: S310 - loopback only
            self.base + path, data=urllib.parse.urlencode(data).encode(), headers={"Referer": self.base + path}
        )
        with self.opener.open(request, timeout=30) as response:  # noqa: S310 - loopback only
            return response.geturl(), response.read().decode()

    def fill_checkout(self) -> None:
        _, page = self.get(PRODUCT)
        product_id = re.search(r'name="product" value="(\d+)"', page)[1]
        variant = re.search(r'name="variant_id" value="(\d+)"', page)  # the variant the page shows
        choice = {"variant_id": variant[1]} if variant else {}
        self.post(
            "/cart/add/", {"product": product_id, **choice, "quantity": "1", "variant": "detail", "next": PRODUCT}
        )
        address = {"name": "Bench Shopper", "line1": "1 Load Lane", "city": "Berlin", "postcode": "10115"}
        self.post("/checkout/", {"address": "new", "new-country": "DE", **{f"new-{k}": v for k, v in address.items()}})
        self.post("/checkout/shipping/", {"method": "standard"})


def shopper_session(base: str) -> tuple[str, list[tuple[str, str]]]:
    """Log in, fill the checkout, place one order, fill it again; returns the Cookie header and the pages."""
    browser = Browser(base)
    browser.get("/accounts/login/")
    browser.post("/accounts/login/", {"username": EMAIL, "password": PASSWORD})
    browser.fill_checkout()
    _, review = browser.get("/checkout/review/")
    quote = re.search(r'name="quote" value="([^"]+)"', review)[1]
    token = re.search(r'name="token" value="([^"]+)"', review)[1]
    url, _ = browser.post("/checkout/place/", {"quote": quote, "token": token})
    number = url.rstrip("/").rsplit("/", 1)[1]
    browser.fill_checkout()  # the pages below need a cart again
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.jar)
    pages = [
        ("checkout-address", "/checkout/"),
        ("checkout-shipping", "/checkout/shipping/"),
        ("checkout-review", "/checkout/review/"),
        ("checkout-pay", f"/checkout/pay/{number}/"),
        ("order", f"/orders/{number}/"),
        ("orders", "/orders/"),
    ]
    return cookie, pages

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject, lazy

from shop.i18n import language_alternates
from storefront import consent, stylesheet
from storefront.selectors import chrome_for


def storefront(request: HttpRequest) -> dict:
    """The brand and footer (`chrome`), the shop's name, the stylesheet, whether the cookie notice shows, the
    language switcher's links.

    All lazy: a fragment that shows none of them never reads the brand.
    """
    chrome = SimpleLazyObject(lambda: chrome_for(request))
    return {
        "chrome": chrome,
        "SHOP_NAME": lazy(lambda: chrome.name, str)(),
        "stylesheet_url": lazy(lambda: stylesheet.url_for(chrome), str)(),
        "cookie_notice": lambda: consent.notice_needed(request),
        # The footer's language switcher: this page in each language.
        "language_links": SimpleLazyObject(lambda: language_alternates(request)),
    }

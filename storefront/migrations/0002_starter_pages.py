"""The six pages a shop must have, with starter text the merchant edits in the admin (Storefront › Pages)."""

from django.db import migrations

PAGES = [
    (
        "shipping",
        "Shipping",
        "service",
        1,
        "We ship to the addresses you can choose at checkout. The delivery options and their prices are shown "
        "on the checkout's shipping step, before you place your order.\n\n"
        "Orders paid by 2 pm on a working day usually leave our warehouse the same day. You receive an e-mail "
        "when your order ships.",
    ),
    (
        "returns",
        "Returns",
        "service",
        2,
        "You may return any item within 14 days of receiving it, without giving a reason. Write to us with your "
        "order number and we send you the return address.\n\n"
        "We refund the price of returned items, and the standard shipping cost, within 14 days of receiving "
        "them, by the payment method you used.",
    ),
    (
        "contact",
        "Contact",
        "service",
        3,
        "Questions about an order, a product or a return? Write to us and include your order number if you "
        "have one: we answer within one working day.",
    ),
    (
        "imprint",
        "Imprint",
        "legal",
        1,
        "The company that runs this shop, its address and how to reach it are listed above. The shop's owner "
        "completes this page with the register entry and VAT number where the law requires them.",
    ),
    (
        "terms",
        "Terms and conditions",
        "legal",
        2,
        "These terms apply to every order placed in this shop.\n\n"
        "1. Contract. Placing an order is an offer to buy; the contract is made when we confirm your payment.\n\n"
        "2. Prices. Prices are shown in the shop's currency and include the taxes shown at checkout; shipping "
        "is added as shown on the shipping step.\n\n"
        "3. Payment. You pay on our payment provider's page when you place the order; we hold the items for "
        "you while you pay.\n\n"
        "4. Delivery and returns. See the Shipping and Returns pages.",
    ),
    (
        "privacy",
        "Privacy policy",
        "legal",
        3,
        "We use your name, address and e-mail address to deliver your order and to write to you about it. "
        "Payments are handled by our payment provider: card details never reach us.\n\n"
        "Cookies. The shop sets cookies it needs to work: your session (sessionid, when you log in), a "
        "security token for forms (csrftoken), your cart (shop_cart), one-time notices after an action (messages) "
        "and, while the shop is not open yet, the pass for its password page (shop_gate). With your permission it also sets "
        "shop_visitor, a random number that lets us count visits for one day; it holds no IP address and no "
        "personal data, and is never set when your browser sends Do-Not-Track or Global Privacy Control. "
        "Your answer to the cookie notice is kept in shop_consent.\n\n"
        "You may ask us at any time what we store about you, download your data from your account page, or "
        "delete your account.",
    ),
]


def create(apps, schema_editor):
    Page = apps.get_model("storefront", "Page")
    for slug, title, group, position, body in PAGES:
        Page.objects.get_or_create(
            slug=slug, defaults={"title": title, "group": group, "position": position, "body": body}
        )


def remove(apps, schema_editor):
    apps.get_model("storefront", "Page").objects.filter(slug__in=[p[0] for p in PAGES]).delete()


class Migration(migrations.Migration):
    dependencies = [("storefront", "0001_brand_and_pages")]

    operations = [migrations.RunPython(create, remove)]

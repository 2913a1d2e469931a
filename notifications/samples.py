"""Sample contexts for the staff preview: one per kind, with every key its templates use."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from notifications.models import Message

ORDER = {
    "name": "Ada Lovelace",
    "order_number": "A-10042",
    "order_path": "/orders/A-10042/",
}

SAMPLES: dict[str, dict[str, Any]] = {
    Message.Kind.WELCOME: {"name": "Ada Lovelace"},
    Message.Kind.PASSWORD_RESET: {"name": "Ada Lovelace", "reset_path": "/accounts/reset/MQ/sample-token/"},
    Message.Kind.ORDER_CONFIRMATION: {
        **ORDER,
        "lines": [
            {"name": "Analytical engine notebook", "quantity": 2, "total": Decimal("18.00")},
            {"name": "Brass gear set", "quantity": 1, "total": Decimal("24.50")},
        ],
        "total": Decimal("42.50"),
        "tax_lines": [{"rate": "19", "net": Decimal("35.71"), "tax": Decimal("6.79")}],
        "prices_include_tax": True,
    },
    Message.Kind.PAYMENT_RECEIPT: {
        **ORDER,
        "amount": Decimal("42.50"),
        "paid_at": datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
        "payment_reference": "PAY-7F3K2",
    },
    Message.Kind.ORDER_SHIPPED: {
        **ORDER,
        "carrier": "Parcel Post",
        "tracking_code": "PP123456789",
        "tracking_url": "https://tracking.example.com/PP123456789",
    },
    Message.Kind.ORDER_CANCELLED: {**ORDER, "reason": "The payment did not arrive in time."},
    Message.Kind.ORDER_REFUNDED: {**ORDER, "amount": Decimal("42.50")},
    Message.Kind.EMAIL_CONFIRM: {
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "change": False,
        "confirm_path": "/accounts/confirm/sample-token/",
        "days": 3,
    },
    Message.Kind.ORDER_LINK: {**ORDER, "order_link": "/orders/link/sample-token/"},
    Message.Kind.DATA_EXPORT: {
        "name": "Ada Lovelace",
        "download_path": "/accounts/data/sample-token/",
        "days": 7,
        "size_kb": 300,
    },
    Message.Kind.TEST: {},
}

"""Request and response bodies. Inputs forbid unknown fields; money is a decimal string."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from catalog.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS

Money = Annotated[Decimal, Field(ge=0, max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)]


def _email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError:
        raise ValueError("Enter a valid e-mail address.") from None
    return value


# Django's own address rule, so the API accepts exactly what the forms accept.
EmailStr = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)]
Id = Annotated[int, Field(ge=1, le=2**53)]


# The error statuses the API answers (as problem details); documented on every operation.
ERRORS = frozenset({400, 401, 403, 404, 409, 413, 422, 429})


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str


class Created(Schema):
    id: int


# --- Auth -----------------------------------------------------------------------------------------------


class LoginIn(In):
    email: Annotated[str, StringConstraints(max_length=254)]
    password: Annotated[str, StringConstraints(max_length=4096)]


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    expires_at: datetime
    expires_in: int
    scopes: list[str]


# --- Users ----------------------------------------------------------------------------------------------


class UserIn(In):
    email: EmailStr
    password: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    name: Annotated[str, StringConstraints(max_length=150)] = ""


class UserUpdate(In):
    name: Annotated[str, StringConstraints(max_length=150)] | None = None
    email: EmailStr | None = None
    password: Annotated[str, StringConstraints(max_length=4096)] | None = Field(
        None, description="The current password: needed to change the e-mail address."
    )


class PasswordIn(In):
    password: Annotated[str, StringConstraints(max_length=4096)]


class UserOut(Schema):
    id: int
    email: str
    name: str
    is_staff: bool
    date_joined: datetime
    email_pending: str | None = Field(None, description="A new address waiting for its confirmation link.")


# --- Catalog --------------------------------------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    name: str
    slug: str
    parent_id: int | None
    position: int


class VariantOut(Schema):
    id: int
    sku: str
    label: str = Field(description="The option values, “M / Blue”; empty for a product's only variant.")
    price: Decimal = Field(description="What the variant sells for now: the sale price during a sale.")
    regular_price: Decimal = Field(description="The price without a sale; equal to `price` when none is on.")
    stock: int
    in_stock: bool
    weight_grams: int | None


class ProductOut(Schema):
    id: int
    name: str
    slug: str
    sku: str
    description: str
    price: Decimal = Field(description="What the product sells for now: the sale price during its sale.")
    regular_price: Decimal = Field(description="The price without a sale; equal to `price` when none is on.")
    currency: str
    stock: int = Field(description="Units over all variants.")
    in_stock: bool
    category_id: int
    is_featured: bool
    is_deleted: bool
    variants: list[VariantOut]
    thumbnail: str | None
    url: str
    created_at: datetime
    updated_at: datetime


class ProductIn(In):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    slug: Annotated[str, StringConstraints(max_length=220, pattern=r"^[-a-zA-Z0-9_]*$")] = ""
    description: Annotated[str, StringConstraints(max_length=20000)] = ""
    price: Money
    stock: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    category_id: Id
    is_featured: bool = False


class ProductUpdate(In):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None
    slug: Annotated[str, StringConstraints(min_length=1, max_length=220, pattern=r"^[-a-zA-Z0-9_]+$")] | None = None
    description: Annotated[str, StringConstraints(max_length=20000)] | None = None
    price: Money | None = None
    stock: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    category_id: Id | None = None
    is_featured: bool | None = None


class ProductPage(Schema):
    items: list[ProductOut]
    count: int
    page: int
    per_page: int
    pages: int


# --- Cart -----------------------------------------------------------------------------------------------


class CartItemIn(In):
    product_id: Id
    variant_id: Id | None = Field(None, description="Which variant; may be left out when there is only one.")
    quantity: Annotated[int, Field(ge=1, le=1000)] = 1


class CartItemUpdate(In):
    quantity: Annotated[int, Field(ge=0, le=1000, description="0 removes the item.")]


class CartProblem(Schema):
    kind: str
    message: str
    blocks_checkout: bool


class CartItemOut(Schema):
    id: int
    product_id: int
    variant_id: int
    sku: str
    name: str
    variant_label: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    problems: list[CartProblem]


class CartChangeOut(Schema):
    id: int | None
    product_id: int
    variant_id: int
    quantity: int
    notice: str


class CartOut(Schema):
    items: list[CartItemOut]
    count: int
    subtotal: Decimal
    currency: str
    checkout_blocked: bool


# --- Orders ---------------------------------------------------------------------------------------------


class OrderLineOut(Schema):
    product_id: int
    variant_id: int
    name: str
    variant_label: str
    sku: str
    unit_price: Decimal
    quantity: int
    line_total: Decimal


class OrderOut(Schema):
    number: str
    status: str
    currency: str
    subtotal: Decimal
    shipping_cost: Decimal
    tax: Decimal
    total: Decimal
    created_at: datetime
    paid_at: datetime | None
    invoice_id: int | None


class OrderDetailOut(OrderOut):
    lines: list[OrderLineOut]
    shipping_address: list[str]


class OrderPage(Schema):
    items: list[OrderOut]
    count: int
    page: int
    per_page: int
    pages: int


# --- Mail and statistics --------------------------------------------------------------------------------


class EmailIn(In):
    to: EmailStr
    kind: Annotated[str, StringConstraints(max_length=32)] = "test"
    context: dict[str, Annotated[str, StringConstraints(max_length=1000)]] = Field(default_factory=dict, max_length=20)
    bulk: bool = False


class EmailOut(Schema):
    id: int
    status: str


class LogIn(In):
    action: Annotated[str, StringConstraints(max_length=32)] = Field(description="An event name, e.g. product_viewed.")
    user_id: Id | None = None
    object_id: Id | None = None
    props: dict[
        Annotated[str, StringConstraints(max_length=32)], Annotated[str, StringConstraints(max_length=100)] | int
    ] = Field(
        default_factory=dict,
        max_length=5,
        description="The event's typed properties (query, results, quantity, amount).",
    )


class Accepted(Schema):
    accepted: bool


class LogReport(Schema):
    start: str
    end: str
    days: list[dict[str, Decimal | int | str]]


# --- Invoices and payment -------------------------------------------------------------------------------


class AddressIn(In):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]
    line1: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    line2: Annotated[str, StringConstraints(max_length=200)] = ""
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    country: Annotated[str, StringConstraints(min_length=2, max_length=2)] = Field(
        description="ISO 3166 code, e.g. GB."
    )
    phone: Annotated[str, StringConstraints(max_length=32)] = ""


class InvoiceIn(In):
    """Either `order` (an order of the caller's: its invoice) or the checkout of the caller's cart."""

    order: Annotated[str, StringConstraints(max_length=16)] | None = None
    shipping: Annotated[str, StringConstraints(max_length=32)] = "standard"
    address_id: Id | None = Field(None, description="An address of the caller's address book.")
    address: AddressIn | None = None
    quote: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        None, description="The cart's quote as the caller last saw it; if the cart or prices changed since, a 409."
    )


class InvoiceOut(Schema):
    id: int
    number: str
    order: str
    status: str
    amount_due: Decimal
    currency: str
    issued_at: datetime
    paid_at: datetime | None


class PaymentOut(Schema):
    id: int
    invoice_id: int
    status: str
    amount: Decimal
    redirect_url: str | None = Field(description="The provider's page where the shopper pays.")

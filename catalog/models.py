"""The catalog: nested categories, product types with option axes, products (archived, never deleted), their
variants (what is really sold: own SKU, stock, optional price) and their ordered images."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone

from catalog.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from shop.urls_fast import reverse_slug

LOW_STOCK_THRESHOLD = 5


def _money_field(verbose_name: str, help_text: str) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=help_text,
    )


class Category(models.Model):
    """A shelf of the shop; categories nest (a parent) and sort by position, then name."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, related_name="children", on_delete=models.PROTECT)
    position = models.PositiveIntegerField(default=0, help_text="Lower numbers come first.")
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive categories and their products are hidden from the storefront."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse_slug("catalog:category-detail", self.slug)

    def clean(self) -> None:
        # A category may not sit inside itself, however deep: walk up from the chosen parent.
        seen, node = set(), self.parent
        while node is not None and node.pk not in seen:
            if self.pk is not None and node.pk == self.pk:
                raise ValidationError({"parent": "A category cannot be placed inside itself or its own subcategory."})
            seen.add(node.pk)
            node = node.parent


class ProductType(models.Model):
    """A kind of product ("T-shirt", "Lamp"): the option axes its variants are made of."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Option(models.Model):
    """One axis a product type's variants differ by ("Size", "Colour")."""

    product_type = models.ForeignKey(ProductType, related_name="options", on_delete=models.CASCADE)
    name = models.CharField(max_length=60)
    position = models.PositiveIntegerField(default=0)
    # Part of the catalog version (catalog.selectors.catalog_version): the facets show this row.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["product_type", "name"], name="catalog_option_unique_name")]

    def __str__(self) -> str:
        return self.name


class OptionValue(models.Model):
    """One value of an axis ("M", "Blue")."""

    option = models.ForeignKey(Option, related_name="values", on_delete=models.CASCADE)
    value = models.CharField(max_length=60)
    position = models.PositiveIntegerField(default=0)
    # Part of the catalog version (catalog.selectors.catalog_version): the facets show this row.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["option", "value"], name="catalog_optionvalue_unique_value")]

    def __str__(self) -> str:
        return self.value


class Attribute(models.Model):
    """A typed property of a product type's products ("Material": text, "Wattage": number in W), shown in the
    specification table; a facetable choice or yes/no attribute also filters the storefront lists."""

    class Kind(models.TextChoices):
        TEXT = "text", "text"
        NUMBER = "number", "number"
        CHOICE = "choice", "choice"
        BOOLEAN = "boolean", "yes / no"

    product_type = models.ForeignKey(ProductType, related_name="attributes", on_delete=models.CASCADE)
    name = models.CharField(max_length=60)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    unit = models.CharField(max_length=20, blank=True, help_text="Numbers only: “W”, “cm”, “kg”.")
    is_facetable = models.BooleanField(
        "filter by", default=False, help_text="Choice and yes/no attributes can filter the product lists."
    )
    position = models.PositiveIntegerField(default=0)
    # Part of the catalog version (catalog.selectors.catalog_version): the facets show this row.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["product_type", "name"], name="catalog_attribute_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})" if self.unit else self.name


class AttributeChoice(models.Model):
    """One allowed value of a choice attribute ("Cotton", "Linen")."""

    attribute = models.ForeignKey(Attribute, related_name="choices", on_delete=models.CASCADE)
    value = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    # Part of the catalog version (catalog.selectors.catalog_version): the facets show this row.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["attribute", "value"], name="catalog_attributechoice_unique_value")
        ]

    def __str__(self) -> str:
        return self.value


class Product(models.Model):
    """Something we sell. "Deleting" a product archives it: orders keep pointing at it."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    sku = models.CharField("SKU", max_length=64, unique=True, help_text="Stock keeping unit; unique.")
    description = models.TextField(blank=True)
    price = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        validators=[MinValueValidator(0)],
        help_text="The price of every variant that has no price of its own.",
    )
    product_type = models.ForeignKey(
        ProductType, null=True, blank=True, related_name="products", on_delete=models.PROTECT
    )
    category = models.ForeignKey(Category, related_name="products", on_delete=models.PROTECT)
    tax_class = models.ForeignKey(
        "pricing.TaxClass",
        to_field="code",
        default="standard",
        related_name="products",
        on_delete=models.PROTECT,
        help_text="Decides the tax rate in each country; variants may have their own.",
    )
    sale_price = _money_field("sale price", "Empty: no sale. Sold at this price between the sale's start and end.")
    sale_starts_at = models.DateTimeField(
        "sale starts", null=True, blank=True, db_index=True, help_text="Empty: the sale runs from now."
    )
    sale_ends_at = models.DateTimeField(
        "sale ends",
        null=True,
        blank=True,
        db_index=True,
        help_text="Empty: no end.",
    )
    is_featured = models.BooleanField("featured", default=False, help_text="Shown on the home page.")
    is_archived = models.BooleanField(
        "archived", default=False, help_text="Archived products are hidden from the storefront but kept for orders."
    )
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    related_products = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="picked_by",
        help_text="Staff picks shown first under “You may also like”; the same category fills the rest.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_product_price_not_negative"),
            models.CheckConstraint(
                condition=Q(sale_price__isnull=True) | Q(sale_price__gte=0), name="catalog_product_sale_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(sale_starts_at__isnull=True)
                | Q(sale_ends_at__isnull=True)
                | Q(sale_ends_at__gt=F("sale_starts_at")),
                name="catalog_product_sale_ends_after_start",
                violation_error_message="The sale must end after it starts.",
            ),
        ]
        # The storefront only reads unarchived rows: partial indexes serve its sorts and filters.
        indexes = [
            models.Index(fields=["category", "price"], name="catalog_prod_cat_price", condition=Q(is_archived=False)),
            models.Index(fields=["price"], name="catalog_prod_price", condition=Q(is_archived=False)),
            models.Index(fields=["-created_at"], name="catalog_prod_newest", condition=Q(is_archived=False)),
            models.Index(fields=["name"], name="catalog_prod_name", condition=Q(is_archived=False)),
            # The products a list starts from (visible ones, by category): category counts, facet counts.
            models.Index(fields=["category", "id"], name="catalog_prod_visible", condition=Q(is_archived=False)),
            models.Index(fields=["-created_at"], name="catalog_prod_featured", condition=Q(is_featured=True)),
            # Search puts an exact (case-insensitive) SKU first: `sku__iexact` is UPPER(sku) = UPPER(q).
            models.Index(Upper("sku"), name="catalog_prod_sku_upper"),
        ]
        # The stored search vector and its GIN indexes (PostgreSQL only) come from migration 0007, outside
        # the model state; see catalog/search.py.

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse_slug("catalog:product-detail", self.slug)

    def clean(self) -> None:
        if self.sale_price is not None and self.price is not None and self.sale_price >= self.price:
            raise ValidationError({"sale_price": "A sale price is lower than the price; leave it empty for no sale."})

    def sale_is_open(self, now=None) -> bool:
        """Whether the sale window holds `now`: start <= now < end, an empty bound being open."""
        now = now or timezone.now()
        starts, ends = self.sale_starts_at, self.sale_ends_at
        return (starts is None or starts <= now) and (ends is None or now < ends)

    @property
    def on_sale(self) -> bool:
        return self.sale_price is not None and self.sale_price < self.price and self.sale_is_open()

    @property
    def current_price(self):
        """What the product sells for now: the sale price during its sale, else the price."""
        return self.sale_price if self.on_sale else self.price

    # `stock` on a product is the sum over its variants, annotated by the selectors that show it.
    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def low_stock(self) -> bool:
        return 0 < self.stock <= LOW_STOCK_THRESHOLD


class ProductVariant(models.Model):
    """What a shopper really buys: one combination of a product's options, with its own SKU and stock.

    Every product has at least one; a product without options has exactly one (the default).
    """

    product = models.ForeignKey(Product, related_name="variants", on_delete=models.CASCADE)
    sku = models.CharField("SKU", max_length=64, unique=True, help_text="Stock keeping unit; unique.")
    price_override = models.DecimalField(
        "price",
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Empty: the product's price.",
    )
    sale_price_override = _money_field("sale price", "Empty: the product's sale price (in the product's sale window).")
    tax_class = models.ForeignKey(
        "pricing.TaxClass",
        to_field="code",
        null=True,
        blank=True,
        related_name="variants",
        on_delete=models.PROTECT,
        help_text="Empty: the product's tax class.",
    )
    stock = models.PositiveIntegerField(default=0, help_text="Units on hand.")
    weight_grams = models.PositiveIntegerField("weight (g)", null=True, blank=True)
    option_values = models.ManyToManyField(OptionValue, blank=True, related_name="variants")
    # The option values as shoppers read them ("M / Blue"), kept by catalog.services.variant_labels_refresh
    # so carts, orders and exports name a variant without joining its options.
    label = models.CharField(max_length=200, blank=True, editable=False)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="catalog_variant_stock_not_negative"),
            models.CheckConstraint(
                condition=Q(price_override__isnull=True) | Q(price_override__gte=0),
                name="catalog_variant_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(sale_price_override__isnull=True) | Q(sale_price_override__gte=0),
                name="catalog_variant_sale_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["product", "stock"], name="catalog_variant_prod_stock")]

    def __str__(self) -> str:
        return self.sku

    @property
    def price(self):
        """What the variant sells for: its own price, else the product's (needs `product` loaded)."""
        return self.price_override if self.price_override is not None else self.product.price

    def price_now(self, product: Product | None = None) -> tuple:
        """(regular price, price now): the sale price in the product's sale window when it is lower.

        `product` is the variant's product when the caller loaded it apart (a cart line's `product`)."""
        product = product or self.product
        regular = self.price_override if self.price_override is not None else product.price
        sale = self.sale_price_override if self.sale_price_override is not None else product.sale_price
        if sale is not None and sale < regular and product.sale_is_open():
            return regular, sale
        return regular, regular

    @property
    def current_price(self):
        return self.price_now()[1]

    @property
    def on_sale(self) -> bool:
        regular, now = self.price_now()
        return now < regular

    def tax_class_code_with(self, product: Product | None = None) -> str:
        """The code of the variant's own tax class, else its product's."""
        return self.tax_class_id or (product or self.product).tax_class_id

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def low_stock(self) -> bool:
        return 0 < self.stock <= LOW_STOCK_THRESHOLD

    @property
    def full_name(self) -> str:
        """The product's name with the options, "T-shirt (M / Blue)" (needs `product` loaded)."""
        return f"{self.product.name} ({self.label})" if self.label else self.product.name


def image_upload_to(instance: "ProductImage", filename: str) -> str:
    return f"products/originals/{filename}"


class ProductImage(models.Model):
    """A photo of a product. The original is kept for staff; shoppers get the renditions."""

    product = models.ForeignKey(Product, related_name="images", on_delete=models.CASCADE)
    variant = models.ForeignKey(
        ProductVariant,
        null=True,
        blank=True,
        related_name="images",
        on_delete=models.SET_NULL,
        help_text="Shown when the shopper picks this variant; empty: the whole product.",
    )
    image = models.ImageField("original", upload_to=image_upload_to)
    # Renditions, made by catalog.services.product_image_render when an image is added.
    thumbnail = models.ImageField(upload_to="products/thumbnails/", blank=True, editable=False)
    display = models.ImageField(upload_to="products/display/", blank=True, editable=False)
    alt_text = models.CharField(max_length=200, blank=True, help_text="Describes the image; the product name if empty.")
    position = models.PositiveIntegerField(default=0)
    is_primary = models.BooleanField("primary", default=False, help_text="Shown in lists; one per product.")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(is_primary=True),
                name="catalog_productimage_one_primary",
                violation_error_message="A product has only one primary image.",
            ),
        ]

    def __str__(self) -> str:
        return self.alt_text or f"Image of {self.product_id}"


class ProductAttributeValue(models.Model):
    """A product's value of one attribute, in the column of the attribute's kind."""

    product = models.ForeignKey(Product, related_name="attribute_values", on_delete=models.CASCADE)
    attribute = models.ForeignKey(Attribute, related_name="product_values", on_delete=models.CASCADE)
    value_text = models.CharField("text", max_length=200, blank=True)
    value_number = models.DecimalField("number", max_digits=12, decimal_places=3, null=True, blank=True)
    value_choice = models.ForeignKey(
        AttributeChoice, null=True, blank=True, related_name="product_values", on_delete=models.PROTECT
    )
    value_bool = models.BooleanField("yes / no", null=True, blank=True)

    class Meta:
        ordering = ["attribute__position", "attribute_id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "attribute"], name="catalog_attrvalue_one_per_product"),
        ]
        indexes = [
            models.Index(fields=["attribute", "value_choice"], name="catalog_attrvalue_choice"),
            models.Index(fields=["attribute", "value_bool"], name="catalog_attrvalue_bool"),
        ]

    def __str__(self) -> str:
        return f"{self.attribute_id}: {self.display}"

    def clean(self) -> None:
        kind = self.attribute.kind if self.attribute_id else None
        filled = {
            Attribute.Kind.TEXT: bool(self.value_text),
            Attribute.Kind.NUMBER: self.value_number is not None,
            Attribute.Kind.CHOICE: self.value_choice_id is not None,
            Attribute.Kind.BOOLEAN: self.value_bool is not None,
        }
        if kind is None:
            return
        if not filled[kind]:
            raise ValidationError(
                f"“{self.attribute.name}” is a {self.attribute.get_kind_display()} attribute: fill in that value."
            )
        if any(v for k, v in filled.items() if k != kind):
            raise ValidationError(f"“{self.attribute.name}” takes only a {self.attribute.get_kind_display()} value.")
        if kind == Attribute.Kind.CHOICE and self.value_choice.attribute_id != self.attribute_id:
            raise ValidationError({"value_choice": f"Not a choice of “{self.attribute.name}”."})

    @property
    def display(self) -> str:
        """The value as the specification table shows it (needs `attribute` and `value_choice` loaded)."""
        kind = self.attribute.kind
        if kind == Attribute.Kind.NUMBER and self.value_number is not None:
            number = f"{self.value_number.normalize():f}"
            return f"{number} {self.attribute.unit}".strip()
        if kind == Attribute.Kind.CHOICE:
            return self.value_choice.value if self.value_choice_id else ""
        if kind == Attribute.Kind.BOOLEAN:
            return "" if self.value_bool is None else ("Yes" if self.value_bool else "No")
        return self.value_text


class ProductOldSlug(models.Model):
    """A slug a product had before: its old URL answers 301 with the current one. A slug belongs to the
    product that had it last, and never to the product that has it now (catalog.services.slug_moved)."""

    slug = models.SlugField(max_length=220, unique=True)
    product = models.ForeignKey(Product, related_name="old_slugs", on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.slug} → {self.product_id}"


class CategoryOldSlug(models.Model):
    """A slug a category had before: its old URL answers 301 with the current one, like ProductOldSlug."""

    slug = models.SlugField(max_length=140, unique=True)
    category = models.ForeignKey(Category, related_name="old_slugs", on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.slug} → {self.category_id}"

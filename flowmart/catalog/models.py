"""Catalogue state: sellers, the category tree, products and their variants (SKUs),
who may edit which seller's products, and the projections fed by other contexts' events:
availability (inventory) popularity (orders) and ratings (reviews)."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from flowmart.common.money import AmountField, CurrencyField, Money
from flowmart.contracts.catalog import STANDARD_TAX_CLASS, TAX_CLASSES


class SearchVectorIndex(GinIndex):
    """GIN on PostgreSQL (full-text search); a plain index elsewhere so SQLite still migrates."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return models.Index.create_sql(self, model, schema_editor, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class PostgresIndex:
    """An index declared for PostgreSQL (operator class, access method); on any other
    database the same columns or expressions as a plain index, so SQLite still migrates."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        if self.expressions:
            plain = [e.get_source_expressions()[0] if isinstance(e, OpClass) else e for e in self.expressions]
            return models.Index(*plain, name=self.name).create_sql(model, schema_editor, **kwargs)
        return models.Index(fields=self.fields, name=self.name).create_sql(model, schema_editor, **kwargs)


class TrigramIndex(PostgresIndex, GinIndex):
    """pg_trgm GIN index: serves similarity (`%>`), LIKE and regular-expression matches."""


class PatternIndex(PostgresIndex, models.Index):
    """B-tree index usable by `LIKE 'prefix%'` whatever the database's collation."""


def validate_image_urls(value) -> None:
    """A list of absolute http(s) URLs: images are hosted elsewhere (a CDN), never uploaded here."""
    check = URLValidator(schemes=["http", "https"])
    if not isinstance(value, list) or not all(isinstance(url, str) for url in value):
        raise ValidationError("Give a list of image URLs.")
    for url in value:
        check(url)


class Seller(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    contact_email = models.EmailField(
        blank=True, help_text="Where stock alerts and other seller notices are sent (one digest per period)."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class SellerMember(models.Model):
    """A staff user who works for a seller: the admin shows them that seller's products only.
    `user_id` is the customers context's user id (no foreign key across contexts)."""

    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="members")
    user_id = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["seller", "user_id"], name="seller_member_once")]

    def __str__(self):
        return f"user {self.user_id} @ {self.seller}"


class Category(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class Product(models.Model):
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True, db_index=True)
    image_urls = models.JSONField(
        default=list, blank=True, validators=[validate_image_urls], help_text="Image URLs, the first is the main one."
    )
    tax_class = models.CharField(
        max_length=20,
        choices=TAX_CLASSES,
        default=STANDARD_TAX_CLASS,
        help_text="Which of the destination's tax rates applies (orders' tax rates per class).",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Weighted name (A) + description (B), refreshed by the services on every write.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            SearchVectorIndex(fields=["search_vector"], name="product_search_idx"),
            # Typo-tolerant search (word similarity) and auto-suggest (word prefixes) on names.
            TrigramIndex(fields=["name"], name="product_name_trgm_idx", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self):
        return self.name


class Variant(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    price_amount = AmountField()
    price_currency = CurrencyField(default="USD")
    weight_grams = models.PositiveIntegerField(default=0)
    attributes = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["price_amount", "id"]
        indexes = [
            models.Index(fields=["product", "active", "price_amount"], name="variant_product_price_idx"),
            # Search and suggest by SKU prefix, case-insensitively: UPPER(sku) LIKE 'ABC%'.
            PatternIndex(OpClass(Upper("sku"), name="text_pattern_ops"), name="variant_sku_upper_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price_amount__gte=0), name="variant_price_not_negative")
        ]

    def __str__(self):
        return f"{self.sku} {self.name}"

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.price_currency)

    @price.setter
    def price(self, value: Money) -> None:
        self.price_amount, self.price_currency = value.amount, value.currency

    def all_prices(self) -> tuple[Money, ...]:
        """The default price and every price-list entry, by currency (what events carry).
        Reads `list_prices` (prefetch it for many variants)."""
        prices = {self.price_currency: self.price} | {p.currency: p.price for p in self.list_prices.all()}
        return tuple(prices[code] for code in sorted(prices))


class VariantPrice(models.Model):
    """The variant's price in another currency the shop sells in (settings.SHOP_CURRENCIES):
    an explicit price list entry, never a conversion. Without an entry (and a default price
    in another currency) the variant is not sold in that currency. docs/currency.md."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="list_prices")
    currency = CurrencyField()
    amount = AmountField()

    class Meta:
        ordering = ["variant_id", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "currency"], name="variant_price_once_per_currency"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="variant_list_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.variant_id}: {self.amount} {self.currency}"

    @property
    def price(self) -> Money:
        return Money(self.amount, self.currency)

    def clean(self):
        from flowmart.common.money import minor_units, quantize, shop_currency

        code = shop_currency(self.currency or "")
        if code is None:
            raise ValidationError({"currency": "Not a currency the shop sells in (settings.SHOP_CURRENCIES)."})
        self.currency = code
        if self.variant_id and code == self.variant.price_currency:
            raise ValidationError({"currency": "The default price is already in this currency: change it there."})
        if self.amount is not None and quantize(self.amount, code) != self.amount:
            raise ValidationError({"amount": f"{code} has {minor_units(code)} decimals."})


class VariantAvailability(models.Model):
    """Units available per SKU over all warehouses, as inventory last reported it.

    Keyed by SKU, not by variant, so inventory events may arrive before the product
    exists; `as_of` (the event's time) keeps a late, older report from winning."""

    sku = models.CharField(max_length=64, unique=True)
    available = models.IntegerField(default=0)
    as_of = models.DateTimeField()

    class Meta:
        verbose_name_plural = "variant availability"

    def __str__(self):
        return f"{self.sku}: {self.available}"


class ProductPopularity(models.Model):
    """How often a product was bought, counted from `OrderConfirmed` lines (orders' event;
    never its tables): auto-suggest ranks by it, search breaks relevance ties with it.
    Counts only grow: a cancelled order still says what shoppers wanted."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, primary_key=True, related_name="popularity")
    orders = models.PositiveIntegerField(default=0, help_text="Confirmed orders with at least one of its SKUs.")
    units = models.PositiveIntegerField(default=0, help_text="Units ordered over all its SKUs.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "product popularity"

    def __str__(self):
        return f"{self.product_id}: {self.orders} orders"


class SearchSuggestion(models.Model):
    """The auto-suggest index, a read model of sellable products: one row per word start of
    the name ("studio headphones pro", "headphones pro", "pro") and one per active SKU, keyed
    lower-case, carrying what the answer shows and its popularity. A typed prefix is one range
    scan of a pattern index and a sort of the rows it finds: no join, whatever the catalogue's size.
    Rebuilt for a product on every catalogue write (services.record_change); `popularity`
    follows ProductPopularity.orders (services.record_order)."""

    class Kind(models.TextChoices):
        NAME = "name"
        SKU = "sku"

    key = models.CharField(max_length=100)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    text = models.CharField(max_length=200, help_text="What the shopper sees: the product name or the SKU.")
    slug = models.SlugField(max_length=200, db_index=False)
    popularity = models.PositiveIntegerField(default=0)

    class Meta:
        # `key LIKE 'prefix%'` whatever the collation (the operator class is PostgreSQL's; elsewhere plain).
        indexes = [models.Index(fields=["key"], name="suggestion_key_idx", opclasses=["varchar_pattern_ops"])]

    def __str__(self):
        return f"{self.key} → {self.text}"


class ProductRating(models.Model):
    """Average and count of a product's visible reviews, as reviews last published them
    (ProductRatingChanged; never computed per request). `revision` lets a late, older
    event lose. No row: no review yet."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, primary_key=True, related_name="rating")
    average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True, help_text="empty: no review")
    count = models.PositiveIntegerField(default=0)
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["average", "count"], name="product_rating_idx")]

    def __str__(self):
        return f"{self.product_id}: {self.average} ({self.count})"


from .promotion_models import SkuPromotion  # noqa: E402, F401  (sales and lightning deals)

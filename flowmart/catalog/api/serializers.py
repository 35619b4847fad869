from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from flowmart.common.money import Money
from flowmart.common.serializers import MoneyField, money_body

from ..models import Category, Product, SearchSuggestion, Seller, Variant


class SellerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Seller
        fields = ["id", "slug", "name"]


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "slug", "name"]


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Category
        fields = ["id", "slug", "name", "parent"]


class VariantSerializer(serializers.ModelSerializer):
    price = MoneyField()
    available = serializers.IntegerField(read_only=True)

    class Meta:
        model = Variant
        fields = ["sku", "name", "price", "available", "attributes", "weight_grams"]


class ProductListSerializer(serializers.ModelSerializer):
    """A product card: `price` is the cheapest active variant's price."""

    category = CategoryRefSerializer()
    seller = SellerSerializer()
    price = serializers.SerializerMethodField()
    in_stock = serializers.BooleanField()

    class Meta:
        model = Product
        fields = ["id", "name", "slug", "category", "seller", "price", "in_stock", "image_urls", "created_at"]

    def get_price(self, product) -> dict | None:
        if product.price_amount is None:
            return None
        return money_body(Money(product.price_amount, product.price_currency))

    def to_representation(self, product) -> dict:
        """Hand-built (same shape as the declared fields): the list is the hottest read."""
        return {
            "id": product.id,
            "name": product.name,
            "slug": product.slug,
            "category": {"id": product.category_id, "slug": product.category.slug, "name": product.category.name},
            "seller": {"id": product.seller_id, "slug": product.seller.slug, "name": product.seller.name},
            "price": self.get_price(product),
            "in_stock": product.in_stock,
            "image_urls": product.image_urls,
            "created_at": serializers.DateTimeField().to_representation(product.created_at),
        }


class ProductDetailSerializer(serializers.ModelSerializer):
    category = CategoryRefSerializer()
    seller = SellerSerializer()
    variants = VariantSerializer(many=True)

    class Meta:
        model = Product
        fields = ["id", "name", "slug", "description", "category", "seller", "image_urls", "created_at", "variants"]


# --- facets (documentation of the list answer's `facets`; built in catalog/facets.py) -----------


class CategoryFacetSerializer(serializers.Serializer):
    slug = serializers.SlugField(help_text="Pass as `category=` to apply it.")
    name = serializers.CharField()
    parent = serializers.SlugField(allow_null=True, help_text="Slug of the parent category; null at the top.")
    count = serializers.IntegerField(help_text="Products in this category or below it.")


class SellerFacetSerializer(serializers.Serializer):
    slug = serializers.SlugField(help_text="Pass as `seller=` to apply it.")
    name = serializers.CharField()
    count = serializers.IntegerField()


class PriceFacetSerializer(serializers.Serializer):
    min_price = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="From this amount ...")
    max_price = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text="... up to, not including, this one (null: open)."
    )
    count = serializers.IntegerField(help_text="Products with an active variant priced in the range.")


class StockFacetSerializer(serializers.Serializer):
    value = serializers.BooleanField(help_text="Pass as `in_stock=` to apply it.")
    count = serializers.IntegerField()


class FacetsSerializer(serializers.Serializer):
    """Counts per filter value over the searched and filtered products. Each facet ignores its
    own filter (a shopper who picked a category still sees the others); values without any
    product are left out."""

    category = CategoryFacetSerializer(many=True)
    seller = SellerFacetSerializer(many=True)
    price = PriceFacetSerializer(many=True)
    in_stock = StockFacetSerializer(many=True)


@extend_schema_serializer(many=False)
class ProductPageSerializer(serializers.Serializer):
    """One page of the product list: API.md's paginated shape plus `facets`."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ProductListSerializer(many=True)
    facets = FacetsSerializer()


# --- auto-suggest ---------------------------------------------------------------------------


class SuggestQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=100,
        trim_whitespace=False,
        help_text="What the shopper has typed so far. Fewer than 2 characters: no suggestions.",
    )
    limit = serializers.IntegerField(required=False, default=8, min_value=1, max_value=20)


class SuggestionSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The product name or SKU to show.")
    kind = serializers.ChoiceField(choices=SearchSuggestion.Kind.choices)
    product_id = serializers.IntegerField()
    slug = serializers.SlugField()


class SuggestResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    suggestions = SuggestionSerializer(
        many=True, help_text="Product names, then SKUs, that start with the query (at a word start); most bought first."
    )

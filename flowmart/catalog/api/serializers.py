from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from flowmart.common.money import Money
from flowmart.common.serializers import money_body

from .. import promotions
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
    price = serializers.SerializerMethodField(help_text="what is paid per unit: the sale or deal price when live")
    available = serializers.IntegerField(read_only=True)
    original_price = serializers.SerializerMethodField(help_text="the regular price when reduced; else null")
    sale = serializers.SerializerMethodField(help_text="the live catalogue sale setting `price` (null: none)")
    deal = serializers.SerializerMethodField(help_text="the live lightning deal, with its claimed % (null: none)")

    class Meta:
        model = Variant
        fields = ["sku", "name", "price", "available", "attributes", "weight_grams", "original_price", "sale", "deal"]

    def _promotion(self, variant) -> dict:
        known = self.context.get("promotions")  # the product's variants, read once (ProductDetailView)
        if known is None or variant.sku not in known:
            known = promotions.for_variants([variant])
        return promotions.as_json(known[variant.sku])

    def get_price(self, variant) -> dict:
        return self._promotion(variant)["price"]

    def get_original_price(self, variant) -> dict | None:
        return self._promotion(variant)["original_price"]

    def get_sale(self, variant) -> dict | None:
        return self._promotion(variant)["sale"]

    def get_deal(self, variant) -> dict | None:
        return self._promotion(variant)["deal"]


class RatingSerializer(serializers.Serializer):
    average = serializers.FloatField(
        allow_null=True, help_text="Mean of the visible reviews' 1–5 ratings, to 2 decimals; null: none yet"
    )
    count = serializers.IntegerField(help_text="Visible reviews")


def rating_of(product) -> dict:
    """From the `rating_average`/`rating_count` annotations (catalog.selectors), kept from reviews' events."""
    average = getattr(product, "rating_average", None)
    return {"average": None if average is None else float(average), "count": getattr(product, "rating_count", 0) or 0}


class ProductListSerializer(serializers.ModelSerializer):
    """A product card: `price` is the cheapest active variant's price."""

    category = CategoryRefSerializer()
    seller = SellerSerializer()
    price = serializers.SerializerMethodField(help_text="the cheapest variant to pay for (sale or deal price)")
    in_stock = serializers.BooleanField()
    rating = serializers.SerializerMethodField()
    original_price = serializers.SerializerMethodField(help_text="that variant's regular price when reduced; else null")
    sale = serializers.SerializerMethodField(help_text="the live catalogue sale on that variant (null: none)")
    deal = serializers.SerializerMethodField(help_text="its live lightning deal with the claimed % (null: none)")

    class Meta:
        model = Product
        fields = ["id", "name", "slug", "category", "seller", "price", "in_stock", "image_urls", "created_at"]
        fields += ["rating", "original_price", "sale", "deal"]

    def get_rating(self, product) -> RatingSerializer:
        return rating_of(product)

    def _promotion(self, product) -> dict | None:
        """From the page's promotions, read once in ProductListView.get_serializer."""
        found = (self.context.get("promotions") or {}).get(product.id)
        return None if found is None else promotions.as_json(found)

    def get_original_price(self, product) -> dict | None:
        return (self._promotion(product) or {}).get("original_price")

    def get_sale(self, product) -> dict | None:
        return (self._promotion(product) or {}).get("sale")

    def get_deal(self, product) -> dict | None:
        return (self._promotion(product) or {}).get("deal")

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
            "rating": rating_of(product),
            "original_price": None,
            "sale": None,
            "deal": None,
            **(self._promotion(product) or {}),
        }


class ProductDetailSerializer(serializers.ModelSerializer):
    category = CategoryRefSerializer()
    seller = SellerSerializer()
    variants = VariantSerializer(many=True)
    rating = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id", "name", "slug", "description", "category", "seller", "image_urls", "created_at", "variants", "rating",
        ]  # fmt: skip

    def get_rating(self, product) -> RatingSerializer:
        return rating_of(product)


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

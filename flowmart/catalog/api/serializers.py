from rest_framework import serializers

from flowmart.common.money import Money
from flowmart.common.serializers import MoneyField

from ..models import Category, Product, Seller, Variant


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
        return Money(product.price_amount, product.price_currency).to_dict()

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

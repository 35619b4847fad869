"""Products and variants as CSV/XLSX (django-import-export). Rows are matched by slug (products)
and SKU (variants), checked against the user's sellers (seller staff may only create and edit
their own), and saved like an admin edit: the services' `state_of` + `record_change`, so an
imported price change publishes VariantPriceChanged and a new product ProductPublished."""

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from flowmart.common import roles

from . import services
from .models import Category, Product, Seller, SellerMember, Variant, VariantPrice


class _SellerChecked(resources.ModelResource):
    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def _allowed(self, seller_id) -> bool:
        if self.user is None or not roles.is_seller_staff(self.user):
            return True
        return SellerMember.objects.filter(user_id=self.user.pk, seller_id=seller_id).exists()

    def _record(self, instance, product, new: bool):
        before = None if new else services.state_of(product)
        instance.save()
        services.record_change(product, before)


class ProductResource(_SellerChecked):
    seller = fields.Field(attribute="seller", column_name="seller", widget=widgets.ForeignKeyWidget(Seller, "slug"))
    category = fields.Field(
        attribute="category", column_name="category", widget=widgets.ForeignKeyWidget(Category, "slug")
    )

    class Meta:
        model = Product
        fields = ("slug", "name", "seller", "category", "description", "active")
        import_id_fields = ("slug",)
        skip_unchanged = True

    def import_instance(self, instance, row, **kwargs):
        was = instance.seller_id
        super().import_instance(instance, row, **kwargs)
        if not self._allowed(instance.seller_id) or (was and not self._allowed(was)):
            raise ValidationError({"seller": "Not one of your sellers."})

    def save_instance(self, instance, is_create, row, **kwargs):
        self._record(instance, instance, is_create)


class VariantResource(_SellerChecked):
    product = fields.Field(attribute="product", column_name="product", widget=widgets.ForeignKeyWidget(Product, "slug"))

    class Meta:
        model = Variant
        fields = ("sku", "product", "name", "price_amount", "price_currency", "weight_grams", "active")
        import_id_fields = ("sku",)
        skip_unchanged = True

    def import_instance(self, instance, row, **kwargs):
        was = instance.product.seller_id if instance.product_id else None
        super().import_instance(instance, row, **kwargs)
        if not self._allowed(instance.product.seller_id) or (was and not self._allowed(was)):
            raise ValidationError({"product": "Not a product of your sellers."})

    def save_instance(self, instance, is_create, row, **kwargs):
        self._record(instance, instance.product, is_create)


class VariantPriceResource(_SellerChecked):
    """Price lists: one row per (sku, currency) with its amount; a row for a currency the shop
    does not sell in, or the default price's currency, is refused like in the admin."""

    variant = fields.Field(attribute="variant", column_name="sku", widget=widgets.ForeignKeyWidget(Variant, "sku"))

    class Meta:
        model = VariantPrice
        fields = ("variant", "currency", "amount")
        import_id_fields = ("variant", "currency")
        skip_unchanged = True
        clean_model_instances = True

    def before_import_row(self, row, **kwargs):
        if row.get("currency"):
            row["currency"] = str(row["currency"]).strip().upper()

    def import_instance(self, instance, row, **kwargs):
        was = instance.variant.product.seller_id if instance.variant_id else None
        super().import_instance(instance, row, **kwargs)
        if not self._allowed(instance.variant.product.seller_id) or (was and not self._allowed(was)):
            raise ValidationError({"sku": "Not a SKU of your sellers."})

    def save_instance(self, instance, is_create, row, **kwargs):
        # A new entry changes an existing variant's prices: compare with the product as it was.
        self._record(instance, instance.variant.product, new=False)

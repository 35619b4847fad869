"""Catalogue admin. Operations (flowmart.common.roles) see everything; a seller's staff (the
`seller staff` role, with their sellers from SellerMember) see and edit only their own
sellers' products and variants. Every save goes through the services' `state_of` +
`record_change`, so admin edits publish like API writes; membership edits on the seller
page publish SellerStaffChanged."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from unfold.admin import ModelAdmin, TabularInline

from flowmart.common import display, roles
from flowmart.common.admin import ReadOnlyAdmin, ScopedImportExport, SellerScopedMixin

from . import services
from .models import Category, Product, Seller, SellerMember, Variant, VariantAvailability, VariantPrice
from .resources import ProductResource, VariantPriceResource, VariantResource


def member_seller_ids(request) -> list[int]:
    """The sellers the logged-in staff user works for (cached on the request)."""
    if not hasattr(request, "_catalog_seller_ids"):
        request._catalog_seller_ids = list(
            SellerMember.objects.filter(user_id=request.user.id).values_list("seller_id", flat=True)
        )
    return request._catalog_seller_ids


def is_seller_staff(request) -> bool:
    """The seller-staff role (not operations): their admin is scoped to their sellers (none
    at all when they work for no seller yet)."""
    return roles.is_seller_staff(request.user)


class SellerScopedAdmin(SellerScopedMixin, ModelAdmin):
    """Seller staff view, add and change their own sellers' rows (`seller_path` is the lookup
    from the model to its Seller); operators see every row. Never deleted: retired (an
    action that publishes ProductRetired) or deactivated, since a deletion would tell no
    one and orders and history still refer to the SKUs."""

    seller_path = "seller"
    seller_staff_can = frozenset({"view", "add", "change"})

    def scope_for_seller(self, request, queryset):
        return queryset.filter(**{f"{self.seller_path}__in": member_seller_ids(request)})

    def get_list_filter(self, request):
        hidden = {self.seller_path} if is_seller_staff(request) else set()
        return [f for f in super().get_list_filter(request) if f not in hidden]

    def has_delete_permission(self, request, obj=None):
        return False


class VariantInline(TabularInline):
    model = Variant
    extra = 0
    fields = ["sku", "name", "price_amount", "price_currency", "weight_grams", "attributes", "active"]

    def has_view_permission(self, request, obj=None):
        return True  # reached only through ProductAdmin, which already scopes by seller

    def has_add_permission(self, request, obj=None):
        return True

    def has_change_permission(self, request, obj=None):
        return True

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(ScopedImportExport, SellerScopedAdmin):
    resource_classes = [ProductResource]
    list_display = ["name", "seller", "category", "tax_class", "active", "created_at"]
    list_filter = ["active", "category", "tax_class", "seller"]
    search_fields = ["name", "slug", "variants__sku"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["seller", "category"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [VariantInline]
    actions = ["retire", "activate"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "seller" and is_seller_staff(request):
            kwargs["queryset"] = Seller.objects.filter(pk__in=member_seller_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        request._catalog_before = services.state_of(obj) if change else None
        obj.save()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.record_change(form.instance, request._catalog_before)

    @admin.action(description="Retire selected products (no longer sellable)")
    def retire(self, request, queryset):
        for product in queryset.filter(active=True):
            services.retire_product(product)

    @admin.action(description="Activate selected products")
    def activate(self, request, queryset):
        for product in queryset.filter(active=False):
            services.activate_product(product)


class VariantPriceInline(TabularInline):
    """The variant's price list: its price in each other currency the shop sells in."""

    model = VariantPrice
    extra = 0
    fields = ["currency", "amount", "shown_as"]
    readonly_fields = ["shown_as"]
    verbose_name = "price in another currency"
    verbose_name_plural = "price list (other currencies: docs/currency.md)"

    @admin.display(description="shown as")
    def shown_as(self, entry):
        return display.money(entry.amount, entry.currency) if entry.pk else "—"

    def has_view_permission(self, request, obj=None):
        return True  # reached only through VariantAdmin, which already scopes by seller

    def has_add_permission(self, request, obj=None):
        return True

    def has_change_permission(self, request, obj=None):
        return True

    def has_delete_permission(self, request, obj=None):
        return True


@admin.register(Variant)
class VariantAdmin(ScopedImportExport, SellerScopedAdmin):
    resource_classes = [VariantResource]
    seller_path = "product__seller"
    list_display = ["sku", "name", "product", "price", "other_prices", "active"]
    inlines = [VariantPriceInline]

    @admin.display(description="price", ordering="price_amount")
    def price(self, variant):
        return display.money(variant.price_amount, variant.price_currency)

    @admin.display(description="price list")
    def other_prices(self, variant):
        entries = variant.list_prices.all()
        return ", ".join(display.money(e.amount, e.currency) for e in entries) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("list_prices")

    list_filter = ["active", "product__seller"]
    search_fields = ["sku", "name", "product__name"]
    list_select_related = ["product"]
    autocomplete_fields = ["product"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "product" and is_seller_staff(request):
            kwargs["queryset"] = Product.objects.filter(seller__in=member_seller_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        request._catalog_before = services.state_of(obj.product)
        obj.save()

    def save_related(self, request, form, formsets, change):
        """After the price-list inline: one comparison, one VariantPriceChanged with every price."""
        super().save_related(request, form, formsets, change)
        services.record_change(form.instance.product, request._catalog_before)


@admin.register(VariantPrice)
class VariantPriceAdmin(ScopedImportExport, SellerScopedAdmin):
    """Price lists in bulk: one row per (SKU, currency), importable as CSV/XLSX
    (sku, currency, amount); seller staff see and import their own SKUs' only."""

    resource_classes = [VariantPriceResource]
    seller_path = "variant__product__seller"
    seller_staff_can = frozenset({"view", "add", "change", "delete"})
    list_display = ["variant", "currency", "shown_as", "default_price"]
    list_filter = ["currency"]
    search_fields = ["variant__sku", "variant__product__name"]
    list_select_related = ["variant"]
    autocomplete_fields = ["variant"]

    @admin.display(description="price", ordering="amount")
    def shown_as(self, entry):
        return display.money(entry.amount, entry.currency)

    @admin.display(description="default price")
    def default_price(self, entry):
        return display.money(entry.variant.price_amount, entry.variant.price_currency)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "variant" and is_seller_staff(request):
            kwargs["queryset"] = Variant.objects.filter(product__seller__in=member_seller_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        product = obj.variant.product
        before = services.state_of(product)
        obj.save()
        services.record_change(product, before)

    def delete_model(self, request, obj):
        product = obj.variant.product
        before = services.state_of(product)
        obj.delete()
        services.record_change(product, before)

    def delete_queryset(self, request, queryset):
        for entry in queryset.select_related("variant__product"):
            self.delete_model(request, entry)


class SellerMemberInline(TabularInline):
    model = SellerMember
    extra = 0
    fields = ["user_id", "user_email"]
    readonly_fields = ["user_email"]

    @admin.display(description="email")
    def user_email(self, member):
        user = get_user_model().objects.filter(pk=member.user_id).only("email").first()
        return user.email if user else "—"


@admin.register(Seller)
class SellerAdmin(ModelAdmin):
    list_display = ["name", "slug", "contact_email"]
    search_fields = ["name", "slug", "contact_email"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SellerMemberInline]

    def save_model(self, request, obj, form, change):
        services.save_seller(obj)

    def save_formset(self, request, form, formset, change):
        """Members added, changed or removed: tell the other contexts each user's sellers."""
        super().save_formset(request, form, formset, change)
        if formset.model is not SellerMember:
            return
        edited = [f for f in formset.forms if f.has_changed()] + list(formset.deleted_forms)
        touched = {f.initial.get("user_id") for f in edited} | {f.instance.user_id for f in edited}
        touched.discard(None)
        if touched:
            services.announce_seller_staff(touched)

    def delete_model(self, request, obj):
        services.delete_seller(obj)

    def delete_queryset(self, request, queryset):
        for seller in queryset:
            services.delete_seller(seller)


@admin.register(Category)
class CategoryAdmin(ModelAdmin):
    list_display = ["name", "slug", "parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(VariantAvailability)
class VariantAvailabilityAdmin(ReadOnlyAdmin):
    """Read-only: it is inventory's word, delivered by InventoryAdjusted."""

    list_display = ["sku", "available", "as_of"]
    search_fields = ["sku"]

"""Catalogue sales and lightning deals in the back office.

Operations see and schedule every sale and deal; a seller's staff only their own sellers'
(SellerScopedMixin), on their own products and SKUs. Nothing is deleted: a sale or deal is
withdrawn by unticking `enabled`, which is told to catalog and orders like any change.
Every save publishes (services.sales.sale_changed / services.deals.deal_changed)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from unfold.admin import ModelAdmin

from flowmart.common import roles
from flowmart.common.admin import SellerScopedMixin

from ..models import CatalogueProduct, CatalogueSeller, CatalogueSku, LightningDeal, Sale, SellerStaff
from ..services import deals, sales


def seller_ids_of(request) -> list[int]:
    """The sellers the logged-in seller-staff user works for (cached on the request)."""
    if not hasattr(request, "_promotions_seller_ids"):
        request._promotions_seller_ids = list(
            SellerStaff.objects.filter(user_id=request.user.id, seller_id__isnull=False).values_list(
                "seller_id", flat=True
            )
        )
    return request._promotions_seller_ids


class ScopedAdmin(SellerScopedMixin, ModelAdmin):
    seller_staff_can = frozenset({"view", "add", "change"})

    def scope_for_seller(self, request, queryset):
        return queryset.filter(seller_id__in=seller_ids_of(request))

    def has_delete_permission(self, request, obj=None):
        return False


class SaleForm(forms.ModelForm):
    seller_id = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Seller")

    class Meta:
        model = Sale
        fields = [
            "name",
            "seller_id",
            "percent_off",
            "amount_off",
            "currency",
            "starts_at",
            "ends_at",
            "enabled",
            "products",
            "categories",
            "sellers",
        ]

    def clean(self):
        data = super().clean()
        if (data.get("percent_off") is None) == (data.get("amount_off") is None):
            raise ValidationError("Give either a percentage or an amount off (one of them).")
        if data.get("amount_off") is not None and not data.get("currency"):
            self.add_error("currency", "An amount off needs its currency.")
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "The sale must end after it starts.")
        targets = [data.get(name) for name in ("products", "categories", "sellers")]
        if data.get("seller_id") is None and not any(t is not None and t.exists() for t in targets):
            raise ValidationError("A marketplace sale names at least one product, category or seller.")
        return data


@admin.register(Sale)
class SaleAdmin(ScopedAdmin):
    form = SaleForm
    list_display = ["name", "seller_id", "discount_label", "starts_at", "ends_at", "enabled", "status"]
    list_filter = ["status", "enabled"]
    search_fields = ["name"]
    readonly_fields = ["status", "created_at"]
    filter_horizontal = ["products", "categories", "sellers"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        sellers = CatalogueSeller.objects.all()
        if roles.is_seller_staff(request.user):
            sellers = sellers.filter(pk__in=seller_ids_of(request))
            form.base_fields["seller_id"].required = True
            form.base_fields["seller_id"].choices = [(s.pk, str(s)) for s in sellers]
            form.base_fields["products"].queryset = CatalogueProduct.objects.filter(seller__in=sellers)
            form.base_fields.pop("sellers", None)
        else:
            form.base_fields["seller_id"].choices = [("", "— the marketplace —")] + [(s.pk, str(s)) for s in sellers]
        return form

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return [f for f in fields if f != "sellers"] if roles.is_seller_staff(request.user) else fields

    def save_model(self, request, obj, form, change):
        before = Sale.objects.filter(pk=obj.pk).first() if change else None
        request._promotions_covered = set(sales.covered_skus(before).values_list("sku", flat=True)) if before else set()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        told = sales.sale_changed(form.instance, request._promotions_covered)
        self.message_user(request, f"Sale prices told for {told} SKU(s).")


class DealForm(forms.ModelForm):
    class Meta:
        model = LightningDeal
        fields = ["sku", "price_amount", "units", "starts_at", "ends_at", "enabled"]

    def clean(self):
        data = super().clean()
        sku = data.get("sku")
        if sku is not None and data.get("price_amount") is not None and data["price_amount"] >= sku.price_amount:
            self.add_error("price_amount", f"A deal price is below the regular price ({sku.price}).")
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "The deal must end after it starts.")
        if self.instance.pk and data.get("units") is not None and data["units"] < self.instance.claimed:
            self.add_error("units", f"{self.instance.claimed} units are already claimed.")
        return data


@admin.register(LightningDeal)
class LightningDealAdmin(ScopedAdmin):
    form = DealForm
    list_display = ["id", "sku", "price_amount", "currency", "units", "claimed", "claimed_percent", "starts_at"]
    list_display += ["ends_at", "enabled", "status"]
    list_filter = ["status", "enabled"]
    search_fields = ["sku__sku", "sku__variant_name"]
    readonly_fields = ["currency", "claimed", "status", "created_at"]
    autocomplete_fields = ["sku"]

    @admin.display(description="claimed %")
    def claimed_percent(self, obj):
        return f"{obj.claimed_percent} %"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "sku":
            skus = CatalogueSku.objects.filter(active=True)
            if roles.is_seller_staff(request.user):
                skus = skus.filter(product__seller_id__in=seller_ids_of(request))
            kwargs["queryset"] = skus
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.seller_id, obj.currency = obj.sku.product.seller_id, obj.sku.currency
        super().save_model(request, obj, form, change)
        deals.deal_changed(obj)


@admin.register(CatalogueSku)
class CatalogueSkuAdmin(SellerScopedMixin, ModelAdmin):
    """Read-only: what sales and deals can target (and the deal form's SKU search)."""

    list_display = ["sku", "variant_name", "price_amount", "currency", "active"]
    search_fields = ["sku", "variant_name"]
    list_filter = ["active"]

    def scope_for_seller(self, request, queryset):
        return queryset.filter(product__seller_id__in=seller_ids_of(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

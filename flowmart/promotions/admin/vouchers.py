"""Vouchers in the admin: operations define any voucher; a seller's staff define, see and
withdraw only their own sellers' (each such voucher discounts only that seller's goods).
Every save and deletion goes through the services, so orders' copy follows (VoucherDefined).
Uses are what orders reported (VoucherUse), read-only."""

from django import forms
from django.contrib import admin
from unfold.admin import ModelAdmin

from flowmart.common import roles
from flowmart.common.admin import ReadOnlyInline, SellerScopedMixin

from ..models import SellerStaff, Voucher, VoucherUse
from ..services import vouchers as services

LIST_FIELDS = {
    "product_ids": int,
    "category_slugs": str,
    "seller_ids": int,
    "excluded_product_ids": int,
    "excluded_category_slugs": str,
}


def own_sellers(user) -> list[int]:
    return SellerStaff.seller_ids_of(user)


class VoucherForm(forms.ModelForm):
    """The id and slug lists are typed comma-separated ("12, 15"); the JSON columns keep lists."""

    request = None  # set by VoucherAdmin.get_form

    class Meta:
        model = Voucher
        fields = [
            "code",
            "description",
            "kind",
            "percent",
            "amount",
            "currency",
            "min_spend",
            "valid_from",
            "valid_until",
            "owner_seller_id",
            *LIST_FIELDS,
            "max_uses",
            "max_uses_per_customer",
            "exclusive",
            "active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in LIST_FIELDS:
            self.fields[name] = forms.CharField(
                required=False, help_text=self.fields[name].help_text or "comma-separated", label=name.replace("_", " ")
            )
            self.initial[name] = ", ".join(str(v) for v in (getattr(self.instance, name) or []))

    def _list(self, name: str) -> list:
        cast = LIST_FIELDS[name]
        parts = [p.strip() for p in (self.cleaned_data.get(name) or "").split(",") if p.strip()]
        try:
            return sorted({cast(p) for p in parts})
        except ValueError:
            raise forms.ValidationError({name: "Comma-separated numbers (ids)."}) from None

    def clean(self):
        data = super().clean()
        for name in LIST_FIELDS:
            data[name] = self._list(name)
        if self.request is not None and roles.is_seller_staff(self.request.user):
            mine = own_sellers(self.request.user)
            if data.get("owner_seller_id") is None and len(mine) == 1:
                data["owner_seller_id"] = mine[0]
            if data.get("owner_seller_id") not in mine:
                self.add_error("owner_seller_id", f"One of your sellers: {', '.join(map(str, mine)) or 'none'}.")
        return data

    def _post_clean(self):
        for name in LIST_FIELDS:  # the lists, not the typed text, go on the instance
            setattr(self.instance, name, self.cleaned_data.get(name, []))
        super()._post_clean()


class VoucherUseInline(ReadOnlyInline):
    model = VoucherUse
    fields = ["order_id", "customer_id", "discount", "released", "redeemed_at"]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Voucher)
class VoucherAdmin(SellerScopedMixin, ModelAdmin):
    form = VoucherForm
    seller_staff_can = frozenset({"view", "add", "change", "delete"})
    list_display = [
        "code",
        "kind",
        "percent",
        "amount",
        "currency",
        "owner_seller_id",
        "uses_held",
        "max_uses",
        "current",
    ]
    list_filter = ["kind", "active", "exclusive"]
    search_fields = ["code", "description"]
    inlines = [VoucherUseInline]

    def _may(self, request, verb: str, granted: bool) -> bool:
        """Operations run promotions like the contexts their group's permissions name (the
        role migration predates this context); seller staff as SellerScopedMixin says."""
        return super()._may(request, verb, granted or roles.is_operations(request.user))

    def scope_for_seller(self, request, queryset):
        return queryset.filter(owner_seller_id__in=SellerStaff.sellers_of(request.user))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.request = request
        return form

    @admin.display(description="uses")
    def uses_held(self, voucher) -> int:
        return services.uses_now(voucher)

    @admin.display(boolean=True)
    def current(self, voucher) -> bool:
        return services.is_current(voucher)

    def save_model(self, request, obj, form, change):
        services.save_voucher(obj)

    def delete_model(self, request, obj):
        services.withdraw_voucher(obj)

    def delete_queryset(self, request, queryset):
        for voucher in queryset:
            services.withdraw_voucher(voucher)

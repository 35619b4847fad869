"""Stock as CSV/XLSX (django-import-export): exported as it stands, imported as movements.

An import row is `sku, warehouse, receive, adjust, reason[, low_stock_threshold]`: units that
arrived, or a signed correction with its reason. Each row is checked (the user's own SKU, a
known warehouse, one movement, a reason for an adjustment) and then applied through
`services.receive_stock` / `services.adjust_stock`, like the stock form: a ledger line and an
InventoryAdjusted per row, never a number written over. The preview runs the same services
in a transaction that is rolled back, so it shows exactly what confirming will do."""

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from flowmart.common.errors import ApiError

from . import selectors, services
from .models import StockLevel, Warehouse


def _int(row, column) -> int | None:
    value = row.get(column)
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValidationError({column: f"{value!r} is not a whole number."}) from None


class StockResource(resources.ModelResource):
    warehouse = fields.Field(
        attribute="warehouse", column_name="warehouse", widget=widgets.ForeignKeyWidget(Warehouse, field="code")
    )
    # Not columns of the stock row: the movement a row asks for, shown in the preview (blank on export).
    receive = fields.Field(column_name="receive", attribute="import_receive", readonly=True)
    adjust = fields.Field(column_name="adjust", attribute="import_adjust", readonly=True)
    reason = fields.Field(column_name="reason", attribute="import_reason", readonly=True)

    class Meta:
        model = StockLevel
        fields = ("sku", "warehouse", "on_hand", "reserved", "low_stock_threshold", "receive", "adjust", "reason")
        export_order = fields
        import_id_fields = ("sku", "warehouse")
        skip_unchanged = False
        clean_model_instances = False

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def get_import_fields(self):
        """on_hand and reserved are the ledger's word: exported, never imported."""
        return [f for f in super().get_import_fields() if f.column_name not in ("on_hand", "reserved")]

    def before_import_row(self, row, **kwargs):
        sku, code = (row.get("sku") or "").strip(), (row.get("warehouse") or "").strip()
        if not sku:
            raise ValidationError({"sku": "A SKU is required."})
        if not Warehouse.objects.filter(code=code).exists():
            raise ValidationError({"warehouse": f"No warehouse with code {code!r}."})

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        receive, adjust, reason = _int(row, "receive"), _int(row, "adjust"), (row.get("reason") or "").strip()
        if self.user is not None and not selectors.staff_scope(self.user).owns_all([instance.sku]):
            raise ValidationError({"sku": f"{instance.sku} is not one of your sellers' SKUs."})
        if bool(receive) == bool(adjust):
            raise ValidationError({"receive": "Give either units received or an adjustment (not both, not none)."})
        if receive is not None and receive <= 0:
            raise ValidationError({"receive": "Units received must be positive."})
        if adjust and not reason:
            raise ValidationError({"reason": "An adjustment needs a reason."})
        reason = reason or ("received (import)" if receive else "")
        instance._movement = ("receive", receive, reason) if receive else ("adjust", adjust, reason)
        instance.import_receive, instance.import_adjust, instance.import_reason = receive, adjust, reason

    def save_instance(self, instance, is_create, row, **kwargs):
        kind, quantity, reason = instance._movement
        apply = services.receive_stock if kind == "receive" else services.adjust_stock
        reference = f"import:user:{getattr(self.user, 'pk', '')}"
        try:
            level = apply(
                sku=instance.sku,
                warehouse_code=instance.warehouse.code,
                quantity=quantity,
                reason=reason,
                reference=reference,
            )
        except ApiError as exc:
            raise ValidationError({"adjust" if kind == "adjust" else "receive": str(exc.detail)}) from None
        if row.get("low_stock_threshold") not in (None, ""):
            StockLevel.objects.filter(pk=level.pk).update(low_stock_threshold=instance.low_stock_threshold)
        instance.pk, instance.on_hand, instance.reserved = level.pk, level.on_hand, level.reserved

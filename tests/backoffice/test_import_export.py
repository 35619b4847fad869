"""CSV/XLSX import and export of stock and catalogue: scoped to the user's sellers, checked
row by row with a preview, stock rows applied through the inventory services."""

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from flowmart.catalog.models import Variant
from flowmart.events.models import OutboxEvent
from flowmart.inventory.models import StockLevel, StockMovement

pytestmark = pytest.mark.django_db

CSV, XLSX = "0", "1"
STOCK_FIELDS = ["sku", "warehouse", "on_hand", "reserved", "low_stock_threshold", "receive", "adjust", "reason"]


def export(client, screen: str, resource: str, fields: list[str], fmt: str = CSV, **query):
    form = {"format": fmt, "resource": "0", **{f"{resource}_{f}": "on" for f in fields}}
    url = f"/admin/{screen}/export/" + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    response = client.post(url, form)
    assert response.status_code == 200, response.content[:500]
    return response.content


def preview(client, screen: str, content: bytes, name="stock.csv", fmt=CSV):
    upload = SimpleUploadedFile(name, content)
    response = client.post(f"/admin/{screen}/import/", {"import_file": upload, "format": fmt, "resource": "0"})
    assert response.status_code == 200
    return response.content.decode()


def confirm(client, screen: str, page: str):
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    hidden.pop("csrfmiddlewaretoken", None)
    return client.post(f"/admin/{screen}/process_import/", hidden)


def test_a_seller_exports_only_their_stock_as_csv_and_xlsx(shop):
    text = export(shop.north, "inventory/stocklevel", "stockresource", STOCK_FIELDS).decode()
    assert "NORTH-1" in text and "NORTH-2" in text and "ACME-1" not in text
    sheet = openpyxl.load_workbook(
        io.BytesIO(export(shop.north, "inventory/stocklevel", "stockresource", STOCK_FIELDS, XLSX))
    )
    skus = {row[0] for row in sheet.active.iter_rows(min_row=2, values_only=True)}
    assert skus == {"NORTH-1", "NORTH-2"}
    searched = export(shop.north, "inventory/stocklevel", "stockresource", ["sku"], q="ACME").decode()
    assert "ACME-1" not in searched
    products = export(shop.north, "catalog/product", "productresource", ["slug", "seller"]).decode()
    assert "north-goods" in products and "acme-goods" not in products


def test_a_stock_csv_is_previewed_then_applied_through_the_services(shop):
    csv = (
        b"sku,warehouse,receive,adjust,reason\nNORTH-1,US-EAST,5,,delivery 42\nNORTH-2,US-EAST,,-3,damaged in storage\n"
    )
    movements, events = StockMovement.objects.count(), OutboxEvent.objects.count()
    adjusted = OutboxEvent.objects.filter(name="InventoryAdjusted").count()
    page = preview(shop.north, "inventory/stocklevel", csv)
    assert "process_import" in page  # a preview with a confirm button; nothing applied yet
    assert StockLevel.objects.get(sku="NORTH-1").on_hand == 20
    assert (StockMovement.objects.count(), OutboxEvent.objects.count()) == (movements, events)
    response = confirm(shop.north, "inventory/stocklevel", page)
    assert response.status_code == 302
    assert StockLevel.objects.get(sku="NORTH-1").on_hand == 25
    assert StockLevel.objects.get(sku="NORTH-2").on_hand == 17
    movement = StockMovement.objects.filter(sku="NORTH-2").latest("id")
    assert (movement.on_hand_delta, movement.reason) == (-3, "damaged in storage")
    assert movement.reference == f"import:user:{shop.staff['north'].pk}"
    assert OutboxEvent.objects.filter(name="InventoryAdjusted").count() == adjusted + 2  # one per row


def test_bad_rows_are_shown_and_nothing_is_applied(shop):
    csv = (
        b"sku,warehouse,receive,adjust,reason\n"
        b"NORTH-1,US-EAST,5,,ok\n"
        b"ACME-1,US-EAST,5,,not mine\n"
        b"NORTH-2,NOWHERE,5,,\n"
        b"NORTH-2,US-EAST,,-2,\n"
        b"NORTH-2,US-EAST,,-500,too many\n"
    )
    page = preview(shop.north, "inventory/stocklevel", csv)
    assert "not one of your sellers" in page
    assert "No warehouse with code" in page
    assert "An adjustment needs a reason." in page
    assert "process_import" not in page  # no confirm while a row is wrong
    assert StockLevel.objects.get(sku="NORTH-1").on_hand == 20
    assert StockLevel.objects.get(sku="ACME-1").on_hand == 20


def test_a_variant_price_import_publishes_like_an_edit_and_stays_in_scope(shop):
    csv = (
        b"sku,product,name,price_amount,price_currency,weight_grams,active\n"
        b"NORTH-1,north-goods,North one,99.00,USD,500,1\n"
    )
    page = preview(shop.north, "catalog/variant", csv, name="variants.csv")
    assert confirm(shop.north, "catalog/variant", page).status_code == 302
    assert Variant.objects.get(sku="NORTH-1").price_amount == 99
    assert OutboxEvent.objects.filter(name="VariantPriceChanged", payload__sku="NORTH-1").exists()
    foreign = b"sku,product,name,price_amount,price_currency,weight_grams,active\nACME-1,acme-goods,x,1.00,USD,1,1\n"
    page = preview(shop.north, "catalog/variant", foreign, name="variants.csv")
    assert "Not a product of your sellers" in page and "process_import" not in page

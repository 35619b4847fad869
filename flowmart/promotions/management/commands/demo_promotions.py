"""Demo promotions: a running marketplace sale on coffee and a lightning deal on headphones,
so `make run` shows sale prices and a claimed % on the storefront. Idempotent: a rerun moves
their windows to start now again (claimed units are kept)."""

from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from flowmart.promotions.models import CatalogueCategory, CatalogueSku, LightningDeal, Sale
from flowmart.promotions.services import deals, sales

SALE_NAME = "Coffee week"
DEAL_PRODUCT = "Studio Headphones Classic"


class Command(BaseCommand):
    help = "Schedule the demo catalogue sale and lightning deal (run after demo_catalog)."

    @transaction.atomic
    def handle(self, *args, **options):
        now = timezone.now()
        coffee = CatalogueCategory.objects.filter(slug="coffee").first()
        headphones = CatalogueSku.objects.filter(product__product_name=DEAL_PRODUCT).order_by("sku").first()
        if coffee is None or headphones is None:
            self.stdout.write("No demo catalogue yet (run demo_catalog first): nothing scheduled.")
            return
        sale = Sale.objects.filter(name=SALE_NAME, seller_id=None).first()
        before = set(sales.covered_skus(sale).values_list("sku", flat=True)) if sale else set()
        sale = sale or Sale(name=SALE_NAME)
        sale.percent_off, sale.enabled = Decimal(15), True
        sale.starts_at, sale.ends_at = now - timedelta(minutes=1), now + timedelta(days=7)
        sale.save()
        sale.categories.set([coffee])
        sales.sale_changed(sale, before)

        deal = LightningDeal.objects.filter(sku=headphones).first() or LightningDeal(sku=headphones, units=10)
        deal.seller_id, deal.currency = headphones.product.seller_id, headphones.currency
        deal.price_amount = (headphones.price_amount * Decimal("0.7")).quantize(Decimal("0.01"))
        deal.starts_at, deal.ends_at, deal.enabled = now - timedelta(minutes=1), now + timedelta(hours=6), True
        deal.save()
        deals.deal_changed(deal)
        self.stdout.write(f"{SALE_NAME}: 15 % off coffee for 7 days; deal: 10 × {headphones.sku} at {deal.price}.")

"""The demo catalogue from flowmart/common/demo.py: sellers, categories, products and variants.

Idempotent: what exists is left alone, so a second run publishes nothing and changes nothing.
New products go through the services, so orders gets its projection from the events."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from flowmart.common import demo
from flowmart.common.money import Money

from ... import services
from ...models import Category, Product, Seller


def seller_staff_email(slug: str) -> str:
    """The demo seller's staff login, created by demo_customers (same scheme)."""
    return f"{slug}@flowmart.local"


class Command(BaseCommand):
    help = "Load the demo sellers, categories, products and variants (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            sellers = {s["slug"]: self._seller(s) for s in demo.SELLERS}
            categories = self._categories()
            created = sum(self._product(spec, sellers, categories) for spec in demo.products())
        self.stdout.write(
            f"  {len(sellers)} sellers, {len(categories)} categories, "
            f"{Product.objects.count()} products ({created} new)"
        )

    def _seller(self, spec: dict) -> Seller:
        seller = Seller.objects.filter(slug=spec["slug"]).first() or services.create_seller(**spec)
        if not seller.contact_email:  # a demo shop loaded before sellers had a contact email
            seller.contact_email = spec["contact_email"]
            services.save_seller(seller)
        staff = get_user_model().objects.filter(email=seller_staff_email(spec["slug"])).first()
        if staff is not None:
            services.add_seller_member(seller, staff.id)
        return seller

    def _categories(self) -> dict[str, Category]:
        found: dict[str, Category] = {}
        for slug, name, parent in demo.CATEGORIES:  # parents come first in the demo data
            found[slug] = Category.objects.filter(slug=slug).first() or services.create_category(
                slug=slug, name=name, parent=found.get(parent)
            )
        return found

    def _product(self, spec: dict, sellers: dict, categories: dict) -> bool:
        if Product.objects.filter(slug=spec["slug"]).exists():
            return False
        services.create_product(
            seller=sellers[spec["seller"]],
            category=categories[spec["category"]],
            name=spec["name"],
            slug=spec["slug"],
            description=spec["description"],
            image_urls=[spec["image_url"]],
            variants=[
                {
                    "sku": v["sku"],
                    "name": v["name"],
                    "price": Money(Decimal(v["price"]), v["currency"]),
                    "weight_grams": v["weight_grams"],
                    "attributes": v["attributes"],
                }
                for v in spec["variants"]
            ],
        )
        return True

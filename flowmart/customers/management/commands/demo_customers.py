"""Demo accounts: an operator (superuser), a customer with an address, and one seller-staff
login per demo seller (demo_catalog makes it a member of its seller).

Idempotent: existing accounts keep their passwords; seller logins get the seller-staff
role if they lack it (databases loaded before roles existed)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from flowmart.common import roles
from flowmart.common.demo import SELLERS

from ... import services
from ...models import User

ADMIN = ("admin@flowmart.local", "admin")
CUSTOMER = ("demo@flowmart.local", "demo-pass-123")
SELLER_PASSWORD = "seller-pass-123"  # demo data, printed on purpose
DEMO_ADDRESS = {
    "name": "Dana Demo",
    "line1": "350 Fifth Avenue",
    "line2": "Floor 21",
    "city": "New York",
    "postal_code": "10118",
    "country": "US",
    "phone": "+1 212 555 0100",
}


def seller_email(slug: str) -> str:
    """The staff login of a demo seller; demo_catalog makes it a member of that seller."""
    return f"{slug}@flowmart.local"


class Command(BaseCommand):
    help = "Create the demo operator, customer and seller staff accounts (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            self._admin()
            self._customer()
            for seller in SELLERS:
                self._seller_staff(seller)

    def _admin(self):
        email, password = ADMIN
        if not User.objects.filter(email=email).exists():
            User.objects.create_superuser(email=email, password=password, first_name="Ada", last_name="Admin")
        self.stdout.write(f"  superuser {email} / {password}  (http://127.0.0.1:8000/admin/)")

    def _customer(self):
        email, password = CUSTOMER
        user = User.objects.filter(email=email).first()
        if user is None:
            user, _ = services.register_customer(email=email, password=password, first_name="Dana", last_name="Demo")
        if not user.addresses.exists():
            services.add_address(user, **DEMO_ADDRESS)
        self.stdout.write(f"  customer  {email} / {password}")

    def _seller_staff(self, seller: dict):
        email = seller_email(seller["slug"])
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=SELLER_PASSWORD, first_name=seller["name"])
        services.grant_role(user, roles.SELLER_STAFF)
        self.stdout.write(f"  seller    {email} / {SELLER_PASSWORD}  (staff of {seller['name']})")

"""`manage.py create_seller_user EMAIL --seller SLUG [--seller SLUG ...]`: onboarding a
seller's staff member (create_staff_user with --role seller-staff)."""

from .create_staff_user import Command as CreateStaffUser


class Command(CreateStaffUser):
    help = "Create a seller's staff user: they see and handle only their sellers' products, stock and parcels."

    def add_role_argument(self, parser):
        parser.set_defaults(role="seller-staff")

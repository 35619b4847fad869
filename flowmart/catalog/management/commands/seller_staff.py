"""`manage.py seller_staff add|remove USER SLUG [SLUG ...]` and `seller_staff list [SLUG]`.

Who works for which seller, through the services, so each change publishes
SellerStaffChanged and inventory and shipping scope that user's staff endpoints.
USER is an account id or email. The role itself (the `seller staff` group) is given by
`create_staff_user` / `create_seller_user`."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ... import services
from ...models import Seller, SellerMember


class Command(BaseCommand):
    help = "Add or remove the sellers a staff user works for, or list who works for which seller."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        for name in ("add", "remove"):
            action = actions.add_parser(name, help=f"{name} sellers of a staff user")
            action.add_argument("user", help="account id or email")
            action.add_argument("sellers", nargs="+", metavar="SLUG")
        listing = actions.add_parser("list", help="who works for which seller")
        listing.add_argument("sellers", nargs="*", metavar="SLUG")

    def handle(self, *args, action, sellers, **options):
        if action == "list":
            return self.list(sellers)
        user = self.user(options["user"])
        found = self.sellers(sellers)
        with transaction.atomic():
            for seller in found:
                if action == "add":
                    services.add_seller_member(seller, user.pk)
                elif not services.remove_seller_member(seller, user.pk):
                    raise CommandError(f"{user.email} does not work for {seller.slug}.")
        verb = "now works for" if action == "add" else "no longer works for"
        self.stdout.write(f"{user.email} {verb} {', '.join(s.slug for s in found)}")

    def user(self, ref: str):
        users = get_user_model().objects
        user = users.filter(pk=int(ref)).first() if ref.isdigit() else users.filter(email=ref.strip().lower()).first()
        if user is None:
            raise CommandError(f"No account {ref}.")
        return user

    def sellers(self, slugs: list[str]) -> list[Seller]:
        found = {s.slug: s for s in Seller.objects.filter(slug__in=slugs)}
        missing = [slug for slug in slugs if slug not in found]
        if missing:
            raise CommandError(f"Unknown seller(s): {', '.join(missing)}.")
        return [found[slug] for slug in dict.fromkeys(slugs)]

    def list(self, slugs: list[str]):
        members = SellerMember.objects.select_related("seller").order_by("seller__slug", "user_id")
        if slugs:
            members = members.filter(seller__in=self.sellers(slugs))
        emails = dict(get_user_model().objects.filter(pk__in=members.values("user_id")).values_list("pk", "email"))
        for member in members:
            self.stdout.write(f"{member.seller.slug}\t{emails.get(member.user_id, f'user {member.user_id} (deleted)')}")

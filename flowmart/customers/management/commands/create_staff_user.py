"""`manage.py create_staff_user EMAIL --role operations|seller-staff [--seller SLUG ...]`

Creates the account (or, with --existing, gives an existing one the role) and, for seller
staff, their sellers through catalog's `seller_staff add` command, all in one transaction:
an unknown seller leaves no account behind. The password comes from --password or, in a
terminal, from a prompt (a password on the command line shows in the process list)."""

import getpass
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from flowmart.common import roles
from flowmart.common.commands import command_error
from flowmart.common.errors import ApiError

from ... import services
from ...models import User

ROLE_OPTIONS = {"operations": roles.OPERATIONS, "seller-staff": roles.SELLER_STAFF}


class Command(BaseCommand):
    help = "Create a staff user with a role: operations (everything) or seller-staff (their sellers only)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        self.add_role_argument(parser)
        parser.add_argument(
            "--seller", action="append", default=[], metavar="SLUG", help="seller the user works for (repeatable)"
        )
        parser.add_argument("--password", help="the password (else asked for in a terminal)")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--existing", action="store_true", help="give an existing account the role (its password is kept)"
        )

    def add_role_argument(self, parser):
        parser.add_argument("--role", required=True, choices=sorted(ROLE_OPTIONS))

    def handle(self, *args, email, role, seller, password, first_name, last_name, existing, **options):
        role = ROLE_OPTIONS[role]
        if role == roles.SELLER_STAFF and not seller:
            raise CommandError("Seller staff work for at least one seller: add --seller SLUG.")
        if role == roles.OPERATIONS and seller:
            raise CommandError("Operations work for every seller: leave out --seller.")
        try:
            with transaction.atomic():
                user = self.account(email, password, role, first_name, last_name, existing)
                if seller:
                    call_command("seller_staff", "add", str(user.pk), *seller, stdout=self.stdout)
        except ApiError as exc:
            raise command_error(exc) from None
        self.stdout.write(
            self.style.SUCCESS(f"{user.email} is {role}" + (f" of {', '.join(seller)}" if seller else ""))
        )

    def account(self, email, password, role, first_name, last_name, existing) -> User:
        user = User.objects.filter(email=email.strip().lower()).first()
        if user is not None:
            if not existing:
                raise CommandError(f"{user.email} has an account already; add --existing to give it the role.")
            return services.grant_role(user, role)
        if existing:
            raise CommandError(f"No account {email}: leave out --existing to create one.")
        return services.create_staff_user(
            email=email, password=password or self.ask_password(), role=role, first_name=first_name, last_name=last_name
        )

    def ask_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("Give --password, or run the command in a terminal to be asked for one.")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return password

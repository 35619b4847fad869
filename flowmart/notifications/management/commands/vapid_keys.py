"""Print a new VAPID key pair for Web Push (set WEBPUSH_VAPID_PRIVATE_KEY to the first)."""

from django.core.management.base import BaseCommand

from ...vapid import generate


class Command(BaseCommand):
    help = "Generate a VAPID key pair for Web Push."

    def handle(self, *args, **options):
        private, public = generate()
        self.stdout.write(f"WEBPUSH_VAPID_PRIVATE_KEY={private}\n# public key (applicationServerKey): {public}")

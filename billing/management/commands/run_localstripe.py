"""`make run` without a Stripe account: localstripe on loopback, sending webhooks to us.

localstripe is a development and test dependency; production never runs this.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run localstripe (a Stripe stand-in) on 127.0.0.1, delivering signed webhooks here."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8420)

    def handle(self, *args: Any, port: int, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("run_localstripe is for development (DJANGO_DEBUG=true).")
        try:
            from aiohttp import web
            from localstripe import server, webhooks
            from localstripe.resources import Store
        except ImportError as missing:
            raise CommandError("localstripe is not installed: `make install`.") from missing

        # It would otherwise pickle its whole state to a fixed file after every request.
        Store.dump_to_disk = lambda self: None
        Store.try_load_from_disk = lambda self: None
        webhook_url = f"{settings.SITE_URL}/api/v1/billing/stripe/webhook/"
        webhooks.register_webhook("regard", webhook_url, settings.STRIPE_WEBHOOK_SECRET, None)
        self.stdout.write(f"localstripe on http://127.0.0.1:{port}, webhooks to {webhook_url}")
        web.run_app(server.app, host="127.0.0.1", port=port, access_log=None, print=None)

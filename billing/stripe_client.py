"""The one way Regard talks to Stripe: the official library, pointed where settings say."""

import functools
from collections.abc import Mapping
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceUnavailable


class PaymentUnavailable(ServiceUnavailable):
    code = "payment_unavailable"
    message = _(
        "We couldn't reach our payment provider just now, so no seat was held and nothing "
        "was charged. Please try again in a few minutes."
    )


def payable_metadata(kind: str, reference: str) -> dict[str, str]:
    """What Stripe is told of what a payment pays: our own reference only, under
    `<kind>_reference` (`enrollment_reference`). No names, no inquiry or survey text."""
    return {f"{kind}_reference": reference}


def references_in(metadata: Mapping[str, Any] | None) -> list[str]:
    """The references `payable_metadata` put in a Stripe object's metadata."""
    return [
        str(value)
        for key, value in (metadata or {}).items()
        if str(key).endswith("_reference") and value
    ]


def stripe_client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise PaymentUnavailable()
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


@functools.cache
def _client(secret_key: str, api_base: str) -> stripe.StripeClient:
    """One client per process (and per settings): its HTTP session, one per thread, keeps
    the connection to Stripe open, so starting a payment costs no new TLS handshake.
    Made on first use, in the process that uses it: nothing may make it before a fork."""
    return stripe.StripeClient(secret_key, base_addresses={"api": api_base}, max_network_retries=2)

"""The one way Regard talks to Stripe: the official library, pointed where settings say."""

import stripe
from django.conf import settings

from config.errors import ServiceUnavailable


class PaymentUnavailable(ServiceUnavailable):
    code = "payment_unavailable"
    message = (
        "We couldn't reach our payment provider just now, so no seat was held and nothing "
        "was charged. Please try again in a few minutes."
    )


def stripe_client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise PaymentUnavailable()
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=2,
    )

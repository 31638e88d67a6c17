"""Development: pay a pending enrollment with a test card, as Stripe Elements would."""

from typing import Any

import stripe
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.models import Payment
from billing.stripe_client import stripe_client
from enrollments.models import Enrollment

CARDS = {"visa": "pm_card_visa", "declined": "pm_card_chargeCustomerFail"}


class Command(BaseCommand):
    help = "Pay a pending enrollment (by reference) with a test card against localstripe."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", help="The enrollment's reference, such as ENR-7KQ2M9.")
        parser.add_argument("--card", choices=sorted(CARDS), default="visa")

    def handle(self, *args: Any, reference: str, card: str, **options: Any) -> None:
        if "api.stripe.com" in settings.STRIPE_API_BASE:
            raise CommandError("pay_enrollment only talks to a local Stripe stand-in.")
        enrollment = Enrollment.objects.filter(reference=reference.upper()).first()
        if enrollment is None:
            raise CommandError(f"No enrollment {reference}.")
        payment = enrollment.payments.filter(
            status=Payment.Status.PENDING, flow=Payment.Flow.PAYMENT_INTENT
        ).first()
        if payment is None or not payment.stripe_payment_intent_id:
            raise CommandError(f"{reference} has no open PaymentIntent to pay.")
        client = stripe_client()
        intent_id = payment.stripe_payment_intent_id
        client.v1.payment_intents.update(intent_id, params={"payment_method": CARDS[card]})
        try:
            intent = client.v1.payment_intents.confirm(intent_id)
        except stripe.CardError as declined:
            self.stdout.write(f"{reference}: the card was declined ({declined.code}).")
            return
        self.stdout.write(
            f"{reference}: payment {intent.status}; the webhook confirms the booking in a moment."
        )

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EnrollmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "enrollments"

    def ready(self) -> None:
        # Here, not at the top: models can be imported once the app registry is ready.
        from billing.events import PaymentSucceeded, RefundedAtStripe, RefundFailed
        from config import events, privacy
        from enrollments.events import BookingCancelled, BookingExpired
        from enrollments.models import Enrollment
        from enrollments.privacy import Bookings, Participants, RetriedRequests
        from enrollments.services import discounts, payments
        from workshops import cache

        events.subscribe(PaymentSucceeded, payments.on_payment_succeeded)
        events.subscribe(RefundedAtStripe, payments.on_refunded_at_stripe)
        events.subscribe(RefundFailed, payments.on_refund_failed)
        events.subscribe(BookingExpired, discounts.on_booking_ended)
        events.subscribe(BookingCancelled, discounts.on_booking_ended)
        cache.watch(Enrollment)  # seats left are part of the catalog's answers
        for keeper in (Bookings(), Participants(), RetriedRequests()):
            privacy.register(keeper)
        # The roles hold what is defined for them after every migrate, new permissions too.
        post_migrate.connect(_sync_roles, dispatch_uid="regard-sync-roles")


def _sync_roles(sender: AppConfig, using: str, **kwargs: Any) -> None:
    # Imported when called: config.roles imports auth's management, which needs the apps.
    from config.roles import sync_roles

    if sender.name == "enrollments":  # once per migrate, not once per app
        sync_roles(using=using)

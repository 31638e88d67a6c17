from django.apps import AppConfig


class EnrollmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "enrollments"

    def ready(self) -> None:
        # Here, not at the top: models can be imported once the app registry is ready.
        from billing.events import PaymentSucceeded, RefundedAtStripe
        from config import events, privacy
        from enrollments.models import Enrollment
        from enrollments.privacy import Bookings, Participants, RetriedRequests
        from enrollments.services import payments
        from workshops import cache

        events.subscribe(PaymentSucceeded, payments.on_payment_succeeded)
        events.subscribe(RefundedAtStripe, payments.on_refunded_at_stripe)
        cache.watch(Enrollment)  # seats left are part of the catalog's answers
        for keeper in (Bookings(), Participants(), RetriedRequests()):
            privacy.register(keeper)

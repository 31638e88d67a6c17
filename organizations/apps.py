from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "organizations"

    def ready(self) -> None:
        # Here, not at the top: models can be imported once the app registry is ready.
        from billing.events import InvoicePaid
        from config import events, privacy
        from enrollments.events import BookingCancelled, BookingExpired
        from organizations import services
        from organizations.privacy import Organizations, Proposals

        events.subscribe(InvoicePaid, services.on_invoice_paid)
        events.subscribe(BookingExpired, services.on_booking_expired)
        events.subscribe(BookingCancelled, services.on_booking_cancelled)
        for keeper in (Organizations(), Proposals()):
            privacy.register(keeper)

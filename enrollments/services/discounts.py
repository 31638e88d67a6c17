"""Discount codes: what a code takes off a booking, and its uses. A use is taken under the
code's row lock, after the session's, and counted in a statement of its own, so a code with
a limit of N is used at most N times under any concurrency (DESIGN.md invariant 11); a
booking that expires or is cancelled gives its use back."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext

from billing.tax import charged_cents
from config.errors import InvalidInput
from enrollments.events import BookingCancelled, BookingExpired
from enrollments.models import DiscountCode, DiscountRedemption, Enrollment
from enrollments.services.receipts import booking_amount, tax_rule_of
from workshops.models import Session, known_zone

MIN_LENGTH = 5


class DiscountRefused(InvalidInput):
    """The code cannot be used for this booking: 400 with `fields.discount_code`."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(fields={"discount_code": [reason]})


@dataclass(frozen=True)
class Discount:
    code: DiscountCode
    off_cents: int  # off the seats' price as the catalog lists it: the invoice's line
    amount_off_cents: int  # off what the seats cost
    amount_cents: int  # what remains to pay


def normalized(code: str) -> str:
    """As codes are kept: capitals, no spaces (people paste them with one at the end)."""
    return "".join(code.split()).upper()


def unknown_code() -> DiscountRefused:
    return DiscountRefused(
        gettext("We don't recognise this code. Please check how it is written, or book without it.")
    )


def discount_of(code: DiscountCode, session: Session, seats: int) -> Discount:
    """What the code takes off `seats` in the session: a share of their price, or its amount,
    never more than the price."""
    listed = seats * session.price_cents
    if code.kind == DiscountCode.Kind.PERCENT:
        share = Decimal(listed) * Decimal(code.percent_off or 0) / Decimal(100)
        off = int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    else:
        off = min(code.amount_off_cents or 0, listed)
    full = booking_amount(session, seats)
    # Charged as the invoice will charge it: the price's line, less the discount's line.
    charged_off = charged_cents(quantity=1, unit_price_cents=off, rule=tax_rule_of(session))
    amount_off = min(charged_off, full)
    return Discount(
        code=code, off_cents=off, amount_off_cents=amount_off, amount_cents=full - amount_off
    )


def _check(code: DiscountCode, session: Session, now: datetime) -> None:
    """Whether the code may be used for this session at all (its uses aside)."""
    if not code.is_active:
        raise unknown_code()
    zone = known_zone(session.timezone)
    if code.valid_from is not None and now < code.valid_from:
        when = date_format(timezone.localtime(code.valid_from, zone), "j F Y")
        raise DiscountRefused(
            gettext("This code can be used from %(date)s. Until then, please book without it.")
            % {"date": when}
        )
    if code.valid_until is not None and now >= code.valid_until:
        raise DiscountRefused(gettext("This code has expired, we're sorry."))
    if session.price_cents == 0:
        raise DiscountRefused(gettext("This session is free already; no code is needed."))
    offerings = {offering.pk for offering in code.offerings.all()}
    if (offerings and session.offering_id not in offerings) or (
        code.kind == DiscountCode.Kind.AMOUNT and code.currency != session.offering.currency
    ):
        raise DiscountRefused(gettext("This code isn't for this offering, we're sorry."))


def _in_use(code: DiscountCode) -> QuerySet[DiscountRedemption]:
    return DiscountRedemption.objects.filter(code=code, given_back_at=None)


def _check_uses(code: DiscountCode, email: str) -> None:
    """Counted in statements of their own: after the code's lock, they see every use
    committed before it was granted."""
    if code.max_uses is not None and _in_use(code).count() >= code.max_uses:
        raise DiscountRefused(
            gettext("This code has been used as often as it may be, we're sorry.")
        )
    if (
        email
        and code.max_uses_per_email is not None
        and _in_use(code).filter(enrollment__email__iexact=email).count() >= code.max_uses_per_email
    ):
        raise DiscountRefused(gettext("This code has already been used with your email address."))


def discount_quote(
    *, code: str, session: Session, seats: int, email: str = "", now: datetime | None = None
) -> Discount:
    """What the code would take off, read without a lock (a booking checks again under it).
    An unknown code raises DiscountCode.DoesNotExist; one that does not apply, DiscountRefused."""
    now = now or timezone.now()
    found = DiscountCode.objects.prefetch_related("offerings").get(code=normalized(code))
    _check(found, session, now)
    _check_uses(found, email)
    return discount_of(found, session, seats)


def _locked(code: str) -> DiscountCode | None:
    return (
        DiscountCode.objects.select_for_update(of=("self",))
        .prefetch_related("offerings")
        .filter(code=code)
        .first()
    )


def discount_take(
    *, code: str, session: Session, seats: int, email: str, now: datetime
) -> Discount:
    """Inside the booking's transaction, after the session's lock: the code's row is locked
    until commit, and a use is free for this booking. The caller records it
    (`discount_record`) once the booking exists."""
    wanted = normalized(code)
    if len(wanted) < MIN_LENGTH:
        raise unknown_code()
    found = _locked(wanted)
    if found is None:
        raise unknown_code()
    _check(found, session, now)
    _check_uses(found, email)
    return discount_of(found, session, seats)


def discount_record(enrollment: Enrollment, discount: Discount) -> DiscountRedemption:
    return DiscountRedemption.objects.create(
        code=discount.code,
        enrollment=enrollment,
        off_cents=discount.off_cents,
        amount_off_cents=discount.amount_off_cents,
    )


def discount_give_back(*, enrollment_id: int, now: datetime | None = None) -> bool:
    """The booking will not take place (expired, cancelled): its use counts again."""
    return bool(
        DiscountRedemption.objects.filter(enrollment_id=enrollment_id, given_back_at=None).update(
            given_back_at=now or timezone.now()
        )
    )


def discount_take_back(enrollment: Enrollment) -> bool:
    """A booking paid after its hold lapsed keeps its discount only if its use is still free:
    under the code's lock, as any use is taken. True when there is nothing to take back."""
    redemption = DiscountRedemption.objects.filter(enrollment=enrollment).first()
    if redemption is None or redemption.given_back_at is None:
        return True
    code = DiscountCode.objects.select_for_update().get(pk=redemption.code_id)
    try:
        _check_uses(code, email="")  # its own address used it already, with this booking
    except DiscountRefused:
        return False
    DiscountRedemption.objects.filter(pk=redemption.pk).update(given_back_at=None)
    return True


def discount_codes_deactivate(*, code_ids: Iterable[int]) -> list[DiscountCode]:
    """No longer usable; uses already taken stay with their bookings."""
    with transaction.atomic():
        codes = list(
            DiscountCode.objects.select_for_update().filter(pk__in=list(code_ids), is_active=True)
        )
        for code in codes:
            code.is_active = False
            code.save(update_fields=["is_active", "updated_at"])
    return codes


def on_booking_ended(event: BookingExpired | BookingCancelled) -> bool:
    """Subscriber: a booking that expired or was cancelled gives its use back."""
    return discount_give_back(enrollment_id=event.enrollment_id)

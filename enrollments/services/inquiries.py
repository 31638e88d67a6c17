"""Inquiries: moving them through the practice's pipeline, with a history of every step."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from config.errors import Conflict, InvalidInput
from enrollments.models import Inquiry, InquiryNote, InquiryStatusChange


def inquiry_change_status(*, inquiry: Inquiry, to_status: str, by: User | None) -> Inquiry:
    """Move an inquiry to `to_status` and record the step; the same status again is a no-op."""
    with transaction.atomic():
        locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        if locked.status == to_status:
            return locked
        if not Inquiry.allows_move(locked.status, to_status):
            raise Conflict(
                f"An inquiry that is {locked.get_status_display().lower()} can't move to "
                f"{Inquiry.Status(to_status).label.lower()}.",
                code="status_not_allowed",
            )
        now = timezone.now()
        InquiryStatusChange.objects.create(
            inquiry=locked, from_status=locked.status, to_status=to_status, by=by, at=now
        )
        locked.status = to_status
        locked.status_changed_at = now
        locked.save(update_fields=["status", "status_changed_at", "updated_at"])
    inquiry.status, inquiry.status_changed_at = locked.status, locked.status_changed_at
    return locked


@sensitive_variables()
def inquiry_add_note(*, inquiry: Inquiry, author: User, text: str) -> InquiryNote:
    """Add an internal note by `author`; an anonymized inquiry takes no new notes."""
    with transaction.atomic():
        locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        if locked.is_anonymized:
            raise Conflict(
                "This inquiry's personal details were erased, so it takes no new notes.",
                code="inquiry_anonymized",
            )
        if not text.strip():
            raise InvalidInput(fields={"text": ["Please write something in the note."]})
        return InquiryNote.objects.create(inquiry=locked, author=author, text=text.strip())

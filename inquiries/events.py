"""What inquiries reports, for the apps above it (integrations)."""

from dataclasses import dataclass

from config.events import Event


@dataclass(frozen=True)
class InquiryReceived(Event):
    inquiry_id: int

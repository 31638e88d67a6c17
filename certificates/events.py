"""What certificates reports, for the apps above it (integrations)."""

from dataclasses import dataclass

from config.events import Event


@dataclass(frozen=True)
class CertificateIssued(Event):
    certificate_id: int

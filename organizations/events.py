"""What organizations reports, for the apps above it (integrations)."""

from dataclasses import dataclass

from config.events import Event


@dataclass(frozen=True)
class ProposalAccepted(Event):
    proposal_id: int
    enrollment_id: int

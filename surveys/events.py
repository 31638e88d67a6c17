"""What surveys reports, for the apps above it (integrations)."""

from dataclasses import dataclass

from config.events import Event


@dataclass(frozen=True)
class SurveySubmitted(Event):
    invitation_id: int

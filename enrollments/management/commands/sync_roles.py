"""Create or update the staff roles of DESIGN.md (safe to repeat)."""

from typing import Any

from django.core.management.base import BaseCommand

from config.roles import sync_roles


class Command(BaseCommand):
    help = "Create or update the four staff roles (groups) and their permissions."

    def handle(self, *args: Any, **options: Any) -> None:
        for role, count in sync_roles().items():
            self.stdout.write(f"{role}: {count} permission(s)")

"""Erase one person everywhere, on their request (DESIGN.md, Retention and erasure)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.forms import ValidationError

from config.privacy import erase_person


class Command(BaseCommand):
    help = (
        "Erase everything Regard holds about the person with this email address, in every "
        "role they had; other people are not touched. --dry-run only counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args: Any, email: str, dry_run: bool, **options: Any) -> None:
        try:
            validate_email(email.strip())
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address.") from None
        erasure = erase_person(email=email, dry_run=dry_run)
        self.stdout.write(
            f"{'Would erase' if dry_run else 'Erased'} the personal data of {erasure.email}:"
        )
        for kind, count in erasure.erased.items():
            self.stdout.write(f"  {kind}: {count}")
        for kind, why in erasure.kept.items():
            self.stdout.write(f"  {kind}: kept. {why}")

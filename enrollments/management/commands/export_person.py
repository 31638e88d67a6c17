"""Everything Regard holds about one person, as JSON (the right of access)."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.forms import ValidationError

from config.privacy import export_person


class Command(BaseCommand):
    help = "Print, as JSON, everything Regard holds about the person with this email address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        try:
            validate_email(email.strip())
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address.") from None
        self.stdout.write(json.dumps(export_person(email=email), indent=2, ensure_ascii=False))

"""`make run`: a development admin login, made once and shown on every start."""

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

LOGIN_FILE = settings.VAR_DIR / "dev-admin-login.txt"


class Command(BaseCommand):
    help = "Create a development superuser if none exists, and print its login."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "ensure_dev_admin is for development (DJANGO_DEBUG=true); "
                "in production use `manage.py createsuperuser`."
            )
        User = get_user_model()
        if not User.objects.filter(is_superuser=True).exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser(
                username="admin", email="admin@localhost", password=password
            )
            LOGIN_FILE.write_text(f"admin {password}\n")
            LOGIN_FILE.chmod(0o600)

        # The file may be older than the database (a new DATABASE_URL): show it only if it works.
        if LOGIN_FILE.exists():
            username, password = LOGIN_FILE.read_text().split()
            admin = User.objects.filter(username=username, is_superuser=True).first()
            if admin is not None and admin.check_password(password):
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Admin: {settings.SITE_URL}/admin/  user: {username}  password: {password}"
                    )
                )
                return
        self.stdout.write("An admin account exists already; sign in with it at /admin/.")

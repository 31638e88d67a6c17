"""`make bench` only: Regard's own settings plus the bench's bare baseline endpoints, the
yardstick the real ones are measured against. Nothing of the bench is in the product."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.baseline"]
ROOT_URLCONF = "bench.urls"

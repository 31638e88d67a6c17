"""The bench's yardstick: bare DRF endpoints served by the same gunicorn workers, through
the same middleware, as the real API. Installed only by bench.settings."""

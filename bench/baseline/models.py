from django.db import models


class BaselineRow(models.Model):
    """What the INSERT baseline writes: one small row per request."""

    label = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.label} {self.pk}"

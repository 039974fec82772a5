"""Plumbing tables with no domain meaning."""

from django.db import models


class IdempotencyRecord(models.Model):
    """The first answer to a request with an `Idempotency-Key`, kept for `IDEMPOTENCY_TTL` (24 h).

    Scoped by (organisation, endpoint, key): the same key sent to two endpoints, or by two
    organisations, is two records. `organisation_id` is a plain number, not a foreign key, because
    core sits below the app that owns organisations; records expire on their own, so a deleted
    organisation's records need no cascade (`sweep_expired` removes them after a day).
    """

    organisation_id = models.BigIntegerField()
    endpoint = models.CharField(max_length=255)
    key = models.CharField(max_length=200)
    body_digest = models.CharField(max_length=64)
    status_code = models.IntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        # The unique index leads with organisation_id, so it is also the lookup by organisation.
        constraints = [
            models.UniqueConstraint(
                fields=["organisation_id", "endpoint", "key"],
                name="one_idempotency_key_per_endpoint",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.endpoint}:{self.key}"

"""Thin Celery wrappers around the connector services (filled in by the runs work)."""

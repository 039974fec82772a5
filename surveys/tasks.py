"""Thin Celery wrappers around surveys.services."""

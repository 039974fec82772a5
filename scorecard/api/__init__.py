"""The scorecard's REST API (filled in by the API work of issue 13)."""

"""REST API v1 of surveys: the surveys, their responses and their results."""

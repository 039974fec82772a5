"""Request parsers of the API (REST_FRAMEWORK DEFAULT_PARSER_CLASSES): JSON only.

A module of its own because DRF imports the parser setting while `rest_framework.views` loads,
which `core.api` imports.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers

TOO_DEEP = _("The JSON document is nested too deeply.")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 (not 500) for a document nested too deeply to decode."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(TOO_DEEP) from None

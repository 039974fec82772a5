"""XLSX export of a scorecard (filled in by the pages work of issue 13)."""

from django.http import Http404


def scorecard_export(request, pk):
    raise Http404

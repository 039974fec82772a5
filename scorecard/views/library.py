"""The indicator library page (filled in by the library work of issue 13)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


library = library_add = _todo

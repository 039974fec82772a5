"""Forms of the CPI evidence (stubs until the forms helper lands)."""

from django.http import HttpResponse


def _stub(request, **kwargs):
    return HttpResponse("not yet")


profile_edit = _stub
note_create = _stub
note_delete = _stub
hypothesis_create = _stub
hypothesis_edit = _stub
hypothesis_delete = _stub
experiment_create = _stub
experiment_plan = _stub
experiment_edit = _stub
experiment_delete = _stub

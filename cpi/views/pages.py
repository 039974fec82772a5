"""Reading pages of the CPI evidence (stubs until the pages helper lands)."""

from django.http import HttpResponse


def _stub(request, **kwargs):
    return HttpResponse("not yet")


cpi_list = _stub
cpi_detail = _stub
arrows = _stub
hypothesis_detail = _stub
experiment_detail = _stub

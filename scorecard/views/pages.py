"""Reading pages of scorecards (filled in by the pages work of issue 13)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


scorecard_list = scorecard_detail = scorecard_map = objective_detail = _todo

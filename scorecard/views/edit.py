"""Forms of scorecards (filled in by the forms work of issue 13)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


scorecard_create = scorecard_edit = scorecard_delete = _todo
perspective_create = perspective_edit = perspective_delete = _todo
objective_create = objective_edit = objective_delete = objective_measures = objective_links = _todo

"""The deviations of the metric pipe: the list by state, and acting on one."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.views import page, role_required

from .. import charts, selectors, services
from ..forms import DeviationForm
from ..models import DeviationState

DEVIATION_FILTERS = ["open", "acknowledged", "closed", "resolved_by_data", "all"]


@role_required(Role.VIEWER)
def deviation_list(request):
    organisation = request.membership.organisation
    state = request.GET.get("state", "open")
    state = state if state in DEVIATION_FILTERS else "open"
    deviations = selectors.deviations_of(organisation=organisation)
    if state != "all":
        deviations = deviations.filter(state=state)
    paginator = Paginator(deviations, 50)
    page_obj = paginator.get_page(request.GET.get("page"))
    rows = [
        {
            "deviation": deviation,
            "label": charts.period_label(deviation.period_start, deviation.period),
            "form": DeviationForm(
                initial={"state": deviation.state, "note": deviation.note},
                prefix=f"d{deviation.pk}",
                current_state=deviation.state,
            ),
        }
        for deviation in page_obj
    ]
    states = [(value, label) for value, label in DeviationState.choices] + [("all", _("all"))]
    return page(
        request,
        "indicators/deviations.html",
        {"rows": rows, "page_obj": page_obj, "state": state, "states": states},
    )


@role_required(Role.ANALYST)
@require_POST
def deviation_update(request, pk: int):
    deviation = selectors.deviation_by_id(organisation=request.membership.organisation, pk=pk)
    form = DeviationForm(request.POST, prefix=f"d{pk}", current_state=deviation.state)
    if not form.is_valid():
        messages.error(request, _("Choose a state for the deviation."))
    else:
        try:
            services.update_deviation(
                deviation=deviation,
                state=form.cleaned_data["state"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as refused:
            for message in refused.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The deviation was updated."))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("deviations")

"""Pages where admins manage connectors: create one of a kind, edit, pause and resume, run now
or dry run, renew a webhook's URL, delete.

Admins only (others get 403); another organisation's connector is a 404. Every write is a
service call; a refusal (ValidationError) lands on the form field it names and the page
answers 400 with the form as sent — except the secrets, which are never sent back.
The new webhook URL (its token is kept only as a hash) is shown once, on the next page.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from accounts.pages import page, role_required

from .. import selectors, services
from ..forms import FORMS
from ..models import ConnectorKind
from .pages import NEW_URL_SESSION_KEY
from .summary import hook_url, run_outcome


def _form_page(request, form, kind, connector=None, status=200):
    context = {"form": form, "kind": kind, "kind_label": ConnectorKind(kind).label}
    if connector is not None:
        context["connector"] = connector
    return page(request, "connectors/connector_form.html", context, status=status)


def _show_url_once(request, connector, token: str) -> None:
    request.session[NEW_URL_SESSION_KEY] = {"code": connector.code, "url": hook_url(token)}


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def connector_create(request, kind: str):
    """A new connector of `kind` through `create_connector`."""
    if kind not in ConnectorKind.values:
        raise Http404(f"no connector kind {kind!r}")
    organisation = request.membership.organisation
    form = FORMS[kind](request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            connector, token = services.create_connector(
                organisation=organisation,
                kind=kind,
                code=form.cleaned_data["code"],
                config=form.service_config(),
                secrets=form.service_secrets(),
                **form.service_fields(),
            )
        except ValidationError as error:
            form.add_service_error(error)
        except IntegrityError:  # the same code, created at the same moment
            form.add_error("code", _("Another connector already has this code."))
        else:
            if token:
                _show_url_once(request, connector, token)
            messages.success(
                request, _("The connector “%(name)s” was created.") % {"name": connector.name}
            )
            return redirect("connector-detail", code=connector.code)
    status = 400 if request.method == "POST" else 200
    return _form_page(request, form, kind, status=status)


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def connector_edit(request, code: str):
    """The connector's settings through `update_connector`; empty secret fields keep theirs."""
    organisation = request.membership.organisation
    connector = selectors.connector_by_code(organisation, code)
    form = FORMS[connector.kind](
        request.POST or None, organisation=organisation, connector=connector
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_connector(
                connector,
                secrets=form.service_secrets(),
                forget=form.forget(),
                config=form.service_config(),
                **form.service_fields(),
            )
        except ValidationError as error:
            form.add_service_error(error)
            connector = selectors.connector_by_code(organisation, code)
        else:
            messages.success(
                request, _("The connector “%(name)s” was saved.") % {"name": connector.name}
            )
            return redirect("connector-detail", code=connector.code)
    status = 400 if request.method == "POST" else 200
    return _form_page(request, form, connector.kind, connector, status=status)


def _admin_connector(request, code: str):
    return selectors.connector_by_code(request.membership.organisation, code)


@role_required(Role.ADMIN)
@require_POST
def connector_run(request, code: str):
    """Run a pull now; with `dry_run` (a field or ?dry_run=1) read and check, write nothing."""
    connector = _admin_connector(request, code)
    dry_run = (request.POST.get("dry_run") or request.GET.get("dry_run")) in ("1", "true", "on")
    try:
        run = services.start_run(connector, dry_run=dry_run)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("connector-detail", code=code)
    if run is None:  # a worker takes it: the run log shows it when it starts
        messages.info(request, _("The run has started; its result appears in the run log."))
    else:
        level, words = run_outcome(run)
        getattr(messages, level)(request, words)
    return redirect("connector-detail", code=code)


@role_required(Role.ADMIN)
@require_POST
def connector_pause(request, code: str):
    connector = services.set_paused(_admin_connector(request, code), True)
    messages.success(
        request,
        _("“%(name)s” is paused: no scheduled runs, webhook calls are refused.")
        % {"name": connector.name},
    )
    return redirect("connector-detail", code=code)


@role_required(Role.ADMIN)
@require_POST
def connector_resume(request, code: str):
    connector = services.set_paused(_admin_connector(request, code), False)
    messages.success(request, _("“%(name)s” runs again.") % {"name": connector.name})
    return redirect("connector-detail", code=code)


@role_required(Role.ADMIN)
@require_POST
def connector_rotate(request, code: str):
    """A new webhook URL; the old one stops working at once."""
    connector = _admin_connector(request, code)
    try:
        token = services.rotate_token(connector)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _show_url_once(request, connector, token)
        messages.success(
            request,
            _("The webhook has a new URL; the old one no longer works. Give it to the sender."),
        )
    return redirect("connector-detail", code=code)


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def connector_delete(request, code: str):
    """Confirm, then delete the connector and its run log; what it delivered stays."""
    connector = _admin_connector(request, code)
    if request.method == "POST":
        services.delete_connector(connector)
        messages.success(
            request, _("The connector “%(name)s” was deleted.") % {"name": connector.name}
        )
        return redirect("connector-list")
    context = {
        "connector": connector,
        "runs": connector.runs.count(),
        "feeds": selectors.feeds_of(connector),
    }
    return page(request, "connectors/connector_confirm_delete.html", context)

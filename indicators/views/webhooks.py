"""Outbound webhooks, for admins: the list, create/edit/delete, the secret and the delivery log
with "send again"."""

import json
from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.views import page, role_required

from .. import selectors
from ..charts import period_label
from ..compute.periods import PERIODS
from ..services import webhooks as service

DELIVERIES_PER_PAGE = 25


class WebhookForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("Which system receives the events, e.g. the ticket system."),
    )
    # A plain text field: the service refuses anything but http(s) with a message naming it.
    url = forms.CharField(
        label=gettext_lazy("URL"),
        max_length=500,
        help_text=gettext_lazy(
            "Where the events are POSTed, e.g. https://tickets.example.com/hook"
        ),
    )
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)


def _save(form, save) -> bool:
    """Run the service with the form's data; its ValidationError becomes form errors."""
    if not form.is_valid():
        return False
    try:
        save(**form.cleaned_data)
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return False
    return True


@role_required(Role.ADMIN)
def webhook_list(request):
    webhooks = selectors.webhooks_of(organisation=request.membership.organisation)
    return page(request, "indicators/webhooks.html", {"webhooks": webhooks})


@role_required(Role.ADMIN)
def webhook_create(request):
    organisation = request.membership.organisation
    form = WebhookForm(request.POST or None)
    created = []

    def save(**data):
        created.append(service.create_webhook(organisation=organisation, **data))

    if request.method == "POST":
        if _save(form, save):
            messages.success(
                request, _("The webhook was created. Give its secret to the receiver.")
            )
            return redirect("webhook-edit", pk=created[0].pk)
        return page(request, "indicators/webhook_form.html", {"form": form}, status=400)
    return page(request, "indicators/webhook_form.html", {"form": form})


@role_required(Role.ADMIN)
def webhook_edit(request, pk: int):
    webhook = selectors.webhook_by_id(organisation=request.membership.organisation, pk=pk)
    initial = {"name": webhook.name, "url": webhook.url, "active": webhook.active}
    form = WebhookForm(request.POST or None, initial=initial)
    context = {"form": form, "webhook": webhook}

    def save(**data):
        service.update_webhook(webhook=webhook, **data)

    if request.method == "POST":
        if _save(form, save):
            messages.success(request, _("The webhook was saved."))
            return redirect("webhook-edit", pk=webhook.pk)
        webhook.refresh_from_db()
        return page(request, "indicators/webhook_form.html", context, status=400)
    return page(request, "indicators/webhook_form.html", context)


@role_required(Role.ADMIN)
def webhook_delete(request, pk: int):
    webhook = selectors.webhook_by_id(organisation=request.membership.organisation, pk=pk)
    if request.method == "POST":
        service.delete_webhook(webhook=webhook)
        messages.success(request, _("The webhook “%(name)s” was deleted.") % {"name": webhook.name})
        return redirect("webhooks")
    count = webhook.deliveries.count()
    return page(request, "indicators/webhook_delete.html", {"webhook": webhook, "count": count})


@role_required(Role.ADMIN)
@require_POST
def webhook_rotate_secret(request, pk: int):
    webhook = selectors.webhook_by_id(organisation=request.membership.organisation, pk=pk)
    service.rotate_secret(webhook=webhook)
    messages.success(request, _("The webhook has a new secret. Give it to the receiver now."))
    return redirect("webhook-edit", pk=webhook.pk)


@role_required(Role.ADMIN)
def webhook_deliveries(request, pk: int):
    webhook = selectors.webhook_by_id(organisation=request.membership.organisation, pk=pk)
    paginator = Paginator(selectors.webhook_deliveries_of(webhook=webhook), DELIVERIES_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    rows = [_delivery_row(d) for d in page_obj]
    context = {"webhook": webhook, "page_obj": page_obj, "rows": rows}
    return page(request, "indicators/webhook_deliveries.html", context)


def _delivery_row(delivery) -> dict:
    """A log row: the payload pretty-printed (sent compact), and the deviation in plain words."""
    deviation = delivery.payload.get("deviation") or {}
    label = ""
    if deviation.get("period_start") and deviation.get("period") in PERIODS:
        label = period_label(date.fromisoformat(deviation["period_start"]), deviation["period"])
    return {
        "delivery": delivery,
        "payload": json.dumps(delivery.payload, indent=2, sort_keys=True, ensure_ascii=False),
        "deviation": deviation,
        "period": label,
    }


@role_required(Role.ADMIN)
@require_POST
def webhook_send_again(request, pk: int):
    delivery = selectors.webhook_delivery_by_id(organisation=request.membership.organisation, pk=pk)
    service.send_again(delivery=delivery)
    messages.success(
        request,
        _("Delivery %(id)s is being sent again: the same payload, a fresh signature.")
        % {"id": delivery.pk},
    )
    return redirect("webhook-deliveries", pk=delivery.webhook_id)

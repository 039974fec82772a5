"""The webhook URL: POST /hooks/<token>/ — the token in the URL is the credential.

No session, no API key and no CSRF token: the senders are other servers (a survey tool, a CRM).
Everything after finding the connector is `connectors.webhooks.receive`.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .. import webhooks


@csrf_exempt
def receive(request, token: str):
    if request.method != "POST":
        message = _("Send the webhook's JSON with POST.")
        return JsonResponse(
            {"errors": [{"index": None, "field": "", "message": message}], "message": message},
            status=405,
            headers={"Allow": "POST"},
        )
    connector = webhooks.connector_for_token(token)
    if connector is None:
        answer = webhooks.not_found()
    else:
        try:
            body, too_large = request.body, False
        except RequestDataTooBig:
            body, too_large = b"", True
        answer = webhooks.receive(
            connector, body=body, headers=request.headers, too_large=too_large
        )
    return JsonResponse(answer.body, status=answer.status, headers=answer.headers)

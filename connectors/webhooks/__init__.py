"""Inbound webhooks: a connector's secret URL that takes JSON, checks an HMAC signature when
configured and maps the payload with JMESPath expressions to measurements or survey responses.

- `signature`: what is signed and how a call's signature and timestamp are checked.
- `mapping`: the JMESPath expressions from a payload to ingest items.
- `presets`: ready mappings for Typeform's and Tally's response webhooks.
- `validation`: `validate_config`, the settings' rules when a connector is saved.
- `receive`: one call, from the raw request to the answer; every attempt is logged as a Run.

Config: `{"preset": "" | "typeform" | "tally", "items": "<jmespath>", "fields": {...},
"segments" / "attributes" / "answers": {...}, "signature": {...}}`; secrets
`{"signing_secret": "..."}`. The view is `connectors.views.hooks.receive` (POST /hooks/<token>/).
"""

from .presets import PRESET_NAMES, PRESETS, expanded
from .receive import Answer, connector_for_token, not_found, receive
from .validation import validate_config

__all__ = [
    "PRESETS",
    "PRESET_NAMES",
    "Answer",
    "connector_for_token",
    "expanded",
    "not_found",
    "receive",
    "validate_config",
]

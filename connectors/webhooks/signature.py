"""HMAC signatures of incoming webhook calls: what a sender signs and how we check it.

A connector's `config["signature"]` (all optional but `header`):

    {"header": "Typeform-Signature",   # "" = calls are not signed (the URL token is the only key)
     "algorithm": "sha256",             # sha1 | sha256 | sha512
     "encoding": "base64",              # hex | base64: how the digest is written in the header
     "prefix": "sha256=",               # text before the digest in the header, if any
     "timestamp_header": "",            # a header with the Unix time (seconds) of the call;
                                        # it must be signed too ("signed": "timestamp.body")
     "tolerance_seconds": 300,          # how far that time may be from ours (replays, clock skew)
     "signed": "body"}                  # body | timestamp.body: "<timestamp>.<raw body>"

The digest is HMAC(secret, signed content) over the RAW body bytes as received (parsing and
re-serialising the JSON would change them), compared in constant time. The secret is
`secrets["signing_secret"]`; no message here ever quotes it, nor the digest we expected.
"""

import base64
import hashlib
import hmac
import math
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

ALGORITHMS = ("sha1", "sha256", "sha512")
ENCODINGS = ("hex", "base64")
SIGNED = ("body", "timestamp.body")
DEFAULT_TOLERANCE_SECONDS = 300
MAX_TOLERANCE_SECONDS = 86_400


class SignatureRefused(Exception):
    """The call is not signed as configured (401). `field` names the header at fault."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SignatureSettings:
    header: str = ""
    algorithm: str = "sha256"
    encoding: str = "hex"
    prefix: str = ""
    timestamp_header: str = ""
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS
    signed: str = "body"

    @classmethod
    def from_config(cls, value) -> "SignatureSettings":
        """The settings of `config["signature"]`; missing or empty values take the defaults."""
        value = value if isinstance(value, dict) else {}
        given = {
            name: value[name]
            for name in cls.__dataclass_fields__
            if value.get(name) not in (None, "")
        }
        return cls(**given)

    @property
    def enabled(self) -> bool:
        return bool(self.header)


def digest(settings: SignatureSettings, secret: str, body: bytes, timestamp: str = "") -> str:
    """The header value a sender with `secret` puts on `body` (prefix included)."""
    content = f"{timestamp}.".encode() + body if settings.signed == "timestamp.body" else body
    mac = hmac.new(secret.encode(), content, getattr(hashlib, settings.algorithm)).digest()
    text = mac.hex() if settings.encoding == "hex" else base64.b64encode(mac).decode()
    return settings.prefix + text


def check_signature(
    settings: SignatureSettings,
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: float,
) -> None:
    """Raise SignatureRefused unless the call carries a valid signature (and a fresh timestamp
    when one is configured). `headers` are looked up case-insensitively."""
    if not settings.enabled:
        return
    lowered = {name.lower(): value for name, value in headers.items()}
    received = (lowered.get(settings.header.lower()) or "").strip()
    if not received:
        raise SignatureRefused(
            _("The %(header)s header is missing: this webhook only takes signed calls.")
            % {"header": settings.header},
            settings.header,
        )
    timestamp = ""
    if settings.timestamp_header:
        timestamp = _fresh_timestamp(settings, lowered, now)
    expected = digest(settings, secret, body, timestamp)
    if settings.encoding == "hex" and received.startswith(settings.prefix):
        # Hex digits may come in either case; only the digest part is case-free.
        received = settings.prefix + received[len(settings.prefix) :].lower()
    if not hmac.compare_digest(received.encode("utf-8"), expected.encode("utf-8")):
        raise SignatureRefused(
            _(
                "The %(header)s header does not match the body: check that the sender and this "
                "connector use the same signing secret, and that nothing changed the body."
            )
            % {"header": settings.header},
            settings.header,
        )


def _fresh_timestamp(settings: SignatureSettings, headers: dict, now: float) -> str:
    name = settings.timestamp_header
    text = (headers.get(name.lower()) or "").strip()
    if not text:
        raise SignatureRefused(
            _("The %(header)s header is missing: it must carry the call's Unix time.")
            % {"header": name},
            name,
        )
    try:
        sent = float(text)
    except ValueError:
        sent = math.nan
    if not math.isfinite(sent):
        raise SignatureRefused(
            _("The %(header)s header is not a Unix time in seconds (got “%(value)s”).")
            % {"header": name, "value": _shown(text[:40])},
            name,
        )
    tolerance = int(settings.tolerance_seconds)
    if sent < now - tolerance:
        raise SignatureRefused(
            _(
                "The call is too old: its %(header)s is %(seconds)s s behind our clock, more "
                "than the %(tolerance)s s allowed (a replay, or a clock that is wrong)."
            )
            % {"header": name, "seconds": int(now - sent), "tolerance": tolerance},
            name,
        )
    if sent > now + tolerance:
        raise SignatureRefused(
            _(
                "The call is in the future: its %(header)s is %(seconds)s s ahead of our "
                "clock, more than the %(tolerance)s s allowed (check the sender's clock)."
            )
            % {"header": name, "seconds": int(sent - now), "tolerance": tolerance},
            name,
        )
    return text


def _shown(text: str) -> str:
    """A header's text fit to quote in a message the run saves: control characters (a NUL
    PostgreSQL refuses, terminal escapes) become "?"."""
    return "".join(char if char.isprintable() else "?" for char in text)

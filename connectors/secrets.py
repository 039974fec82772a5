"""Connector secrets: encrypted at rest with Fernet, masked wherever text leaves the server.

The keys come from the environment: `CONNECTOR_SECRET_KEYS`, comma-separated Fernet keys (make
one with `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`);
the first encrypts, every one decrypts, so a key is rotated by putting the new one first. Without
it (the embedded mode) one key is derived from SECRET_KEY with HKDF; production refuses to start
without CONNECTOR_SECRET_KEYS (config/settings.py).

`mask` replaces every secret value (and the password inside a DSN) in a text before it is
logged, stored in a run or shown: error messages of drivers and HTTP clients may quote them.
"""

import base64
import hashlib
import json
from functools import cache
from secrets import token_urlsafe

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

MASK = "••••"
MIN_MASKED_LENGTH = 3  # shorter values (a port, "on") are not worth masking and would mangle text


class SecretsUnreadable(Exception):
    """The stored secrets cannot be decrypted with any configured key (a key was removed)."""


@cache
def _fernet() -> MultiFernet:
    keys = list(settings.CONNECTOR_SECRET_KEYS) or [_derived_key()]
    return MultiFernet([Fernet(key) for key in keys])


def _derived_key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"outcome-chain connectors")
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode()))


def encrypt(values: dict) -> str:
    """The Fernet token of `values` (a JSON object of strings); "" for no secrets."""
    values = {name: value for name, value in values.items() if value not in ("", None)}
    if not values:
        return ""
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def decrypt(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as error:
        raise SecretsUnreadable(
            "the connector's secrets cannot be decrypted with CONNECTOR_SECRET_KEYS"
        ) from error


def secret_values(values: dict) -> list[str]:
    """Every text that must never be shown: each secret, and the password inside a DSN."""
    found = []
    for value in _leaves(values):
        found.append(value)
        found.extend(_dsn_passwords(value))
    return sorted({v for v in found if len(v) >= MIN_MASKED_LENGTH}, key=len, reverse=True)


def _leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    return [str(value)] if value not in (None, "") else []


def _dsn_passwords(text: str) -> list[str]:
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        password = conninfo_to_dict(text).get("password")
    except (ProgrammingError, ValueError, TypeError):
        return []
    if not password:
        return []
    from urllib.parse import quote

    return [str(password), quote(str(password), safe="")]


def mask(text: str, values: dict) -> str:
    """`text` with every secret of `values` replaced by MASK."""
    for secret in secret_values(values):
        text = text.replace(secret, MASK)
    return text


def masked(value: str, *, keep: int = 0) -> str:
    """How a form or page shows a stored secret: MASK, optionally with its last `keep` chars."""
    if not value:
        return ""
    return MASK + (value[-keep:] if keep else "")


def new_token() -> str:
    """A webhook URL token: 32 random URL-safe characters (192 bits)."""
    return token_urlsafe(24)


def hash_token(token: str) -> str:
    """What is stored of a webhook token, and how an incoming call is looked up."""
    return hashlib.sha256(token.encode()).hexdigest()

"""Parsed files waiting between preview and confirm, as JSON files under STORE."""

import json
import os
import secrets
import tempfile
import time
from pathlib import Path

from accounts.models import Organisation

from .files import ParsedFile

# Shared storage when several web servers run: set UPLOAD_PENDING_DIR to a common directory.
STORE = Path(
    os.environ.get("UPLOAD_PENDING_DIR") or Path(tempfile.gettempdir()) / "outcome-chain-uploads"
)
PENDING_SECONDS = 24 * 3600


def store(
    *,
    organisation: Organisation,
    parsed: ParsedFile,
    filename: str,
    errors: list[dict],
    scope: str = "",
) -> str:
    """Keep the parsed file until the user confirms; returns a random token.

    `scope` names what the file was uploaded into (e.g. one survey): `load` refuses it elsewhere."""
    STORE.mkdir(parents=True, exist_ok=True)
    _forget_abandoned()
    token = secrets.token_urlsafe(16)
    payload = {
        "organisation": organisation.pk,
        "scope": scope,
        "filename": filename,
        "header": parsed.header,
        "rows": parsed.rows,
        "row_numbers": parsed.row_numbers,
        "items": parsed.items,
        "errors": errors,
    }
    (STORE / f"{token}.json").write_text(json.dumps(payload), encoding="utf-8")
    return token


def load(*, organisation: Organisation, token: str, scope: str = "") -> dict | None:
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        return None
    path = STORE / f"{token}.json"
    try:
        if time.time() - path.stat().st_mtime > PENDING_SECONDS:
            return None  # abandoned: the user has to upload again
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if payload.get("organisation") != organisation.pk or payload.get("scope", "") != scope:
        return None
    return payload


def _forget_abandoned() -> None:
    """Delete previews nobody confirmed within PENDING_SECONDS."""
    cutoff = time.time() - PENDING_SECONDS
    for path in STORE.glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass  # another process removed it first


def discard(token: str) -> None:
    if token and token.replace("-", "").replace("_", "").isalnum():
        (STORE / f"{token}.json").unlink(missing_ok=True)

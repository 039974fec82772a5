"""`outcome-chain-push`: push a CSV, XLSX or JSON file to an Outcome Chain server's public API.

    outcome-chain-push measurements.xlsx --server https://oc.example --api-key oc_...
    outcome-chain-push answers.csv --survey nps --dry-run

It runs on an integrator's machine, so it uses the standard library, `requests` and `openpyxl`
only: no Django, no project module. CSV and XLSX files have the columns of the uploads (the
measurements template; for `--survey` respondent, submitted_at, the question codes and background
variables), read with the uploads' cell rules; JSON files are passed through as they are. Items go
in chunks to `POST /api/v1/measurements/` or `/api/v1/surveys/{code}/responses/`, each with an
`Idempotency-Key` made from the chunk's exact request body, so running the same command again after
a crash replays the chunks already written instead of writing them twice, and a different body (a
corrected --time-zone, changed survey questions) never reuses a key. The server remembers refusals
too: `--fresh` (new keys) makes it check a chunk anew after a fix on the server.

Exit codes: 0 pushed, 1 items refused (the report names file rows and fields), 2 anything else.
"""

from .command import main

__all__ = ["main"]

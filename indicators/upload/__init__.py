"""CSV and XLSX upload of measurements: read a file into API items, preview, confirm.

The columns are the API item fields. `cells` reads one cell, `files` a whole file (every problem
an error by row and column), `flow` previews and confirms through `ingest_measurements`,
`pending` keeps parsed files between the two, `workbooks` makes the downloads.
"""

from .cells import (
    Formula,
    cell_text,
    parse_number,
    parse_observed_at,
    parse_segment,
    parse_text,
)
from .files import (
    COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    ParsedFile,
    RowError,
    UploadRefused,
    formula_error,
    read_table,
    read_upload,
)
from .flow import confirm, preview
from .pending import PENDING_SECONDS, STORE, discard, load, store
from .workbooks import ERROR_COLUMN, error_workbook, template_workbook

__all__ = [
    "COLUMNS",
    "ERROR_COLUMN",
    "Formula",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "PENDING_SECONDS",
    "STORE",
    "ParsedFile",
    "RowError",
    "UploadRefused",
    "cell_text",
    "confirm",
    "discard",
    "error_workbook",
    "formula_error",
    "load",
    "parse_number",
    "parse_observed_at",
    "parse_segment",
    "parse_text",
    "preview",
    "read_table",
    "read_upload",
    "store",
    "template_workbook",
]

"""The response table as the bulk path sees it.

`RESPONSES` tells `core.bulk` how to upsert responses: the natural key (survey, respondent), the
columns written and compared, and the revision table that keeps a response as it was before a
resend changed it. `local_date` follows from `submitted_at` and is not compared.
"""

from core.bulk import BulkTable, Column, Revision

from ..models import Response, ResponseRevision

RESPONSES = BulkTable(
    model=Response,
    key=(Column("survey_id", "bigint"), Column("respondent", "text")),
    values=(
        Column("submitted_at", "timestamptz"),
        Column("local_date", "date"),
        Column("attributes", "jsonb", text_attr="attributes_text"),
        Column("answers", "jsonb", text_attr="answers_text"),
    ),
    compared=("submitted_at", "attributes", "answers"),
    created_at="created_at",
    updated_at="updated_at",
    revision=Revision(
        model=ResponseRevision,
        row="response_id",
        columns=("submitted_at", "attributes", "answers"),
        at="replaced_at",
    ),
)

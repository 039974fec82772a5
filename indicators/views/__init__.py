"""Server-rendered pages for people.

Views read through `selectors`, write through `services` (the same ones as the API), and decide
nothing about numbers themselves.
"""

from .detail import comment_create, indicator_detail
from .deviations import deviation_detail, deviation_list, deviation_update
from .indicators import indicator_create, indicator_edit, indicator_list
from .measurements import (
    measurement_create,
    upload_confirm,
    upload_errors,
    upload_page,
    upload_template,
)

__all__ = [
    "comment_create",
    "deviation_detail",
    "deviation_list",
    "deviation_update",
    "indicator_create",
    "indicator_detail",
    "indicator_edit",
    "indicator_list",
    "measurement_create",
    "upload_confirm",
    "upload_errors",
    "upload_page",
    "upload_template",
]

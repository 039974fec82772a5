"""Query filters of the API: a parameter that is sent must be valid.

django-filter keeps an HTML form's habits: an empty value (`?kind=`) and, for booleans, any
unknown word mean "no filter". An API client that sends them made a mistake; it gets a 400, as
for a value with a NUL character.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


class StrictFilterSet(django_filters.FilterSet):
    """A FilterSet that refuses an empty value where none can be valid (choices, booleans,
    numbers, dates); a free-text filter's empty value stays "no filter"."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, query_filter in self.filters.items():
            values = self.data.getlist(name, [])
            if type(query_filter) is not django_filters.CharFilter and "" in values:
                self.form.add_error(name, _("Send a value or leave the parameter out."))
                valid = False
        return valid


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """`true` or `false` only."""

    def __init__(self, **kwargs):
        choices = [("true", "true"), ("false", "false")]
        super().__init__(choices=choices, coerce=lambda text: text == "true", **kwargs)

"""REST API v1: comments on an indicator's period values (`/api/v1/indicators/{code}/comments/`).

Anyone with access may comment: a viewer's session as well as an API key (whose comments have no
author). The service decides what a valid comment is; this module only reads and shapes.
"""

from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import Role
from core.api import OrganisationScopedMixin
from core.dates import iso_date

from .. import selectors, services
from ..compute.periods import PERIODS
from ..models import Period, ValueComment
from ..services.comments import MAX_COMMENT_LENGTH
from .fields import JsonStringField


class ValueCommentSerializer(serializers.ModelSerializer):
    period = serializers.ChoiceField(choices=Period.choices)
    period_start = serializers.DateField(help_text="The first day of the period commented on.")
    text = JsonStringField(max_length=MAX_COMMENT_LENGTH)
    author = serializers.SerializerMethodField()

    class Meta:
        model = ValueComment
        fields = ["id", "period", "period_start", "text", "author", "created_at"]
        read_only_fields = ["id", "author", "created_at"]

    def get_author(self, comment: ValueComment) -> str | None:
        """The commenter's username; null for an API-key client."""
        return comment.author.username if comment.author_id else None


def _date_parameter(query, name: str, errors: dict) -> date | None:
    text = query.get(name)
    if text is None:
        return None
    try:
        return iso_date(text)
    except ValueError:
        errors[name] = ["Use a date as YYYY-MM-DD."]
        return None


class ValueCommentsView(OrganisationScopedMixin, generics.ListCreateAPIView):
    """Comments on the indicator's period values, oldest period first."""

    serializer_class = ValueCommentSerializer
    write_role = Role.VIEWER  # anyone with access may comment

    def _indicator(self):
        return selectors.indicator_by_code(
            organisation=self.get_organisation(), code=self.kwargs["code"]
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no request
            return ValueComment.objects.none()
        indicator = self._indicator()
        query, errors = self.request.query_params, {}
        period = query.get("period", indicator.period)
        if period not in PERIODS:
            errors["period"] = [f"Use one of: {', '.join(PERIODS)}."]
        start = _date_parameter(query, "from", errors)
        end = _date_parameter(query, "to", errors)
        if errors:
            raise ValidationError(errors)
        return selectors.comments_of(indicator=indicator, period=period, start=start, end=end)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "period",
                str,
                enum=list(PERIODS),
                description="the period commented on (default: the indicator's own)",
            ),
            OpenApiParameter("from", OpenApiTypes.DATE, description="first period start"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="last period start"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        indicator = self._indicator()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user
        author = None if getattr(user, "api_key", None) is not None else user
        comment = services.add_comment(
            indicator=indicator, author=author, **serializer.validated_data
        )
        return Response(self.get_serializer(comment).data, status=status.HTTP_201_CREATED)

"""Reads about organisations and memberships."""

from .models import Membership


def membership_for(*, user) -> Membership | None:
    """The user's membership (a person belongs to one organisation in the web app)."""
    if user is None or not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("organisation").filter(user=user).order_by("id").first()
    )

"""Reads about organisations and memberships."""

from .models import Membership


def membership_for(*, user) -> Membership | None:
    """The user's membership (a person belongs to one organisation in the web app)."""
    if user is None or not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("organisation").filter(user=user).order_by("id").first()
    )


def members_of(*, organisation):
    """The organisation's people (users), by username."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model().objects.filter(memberships__organisation=organisation).order_by("username")
    )


def member_by_username(*, organisation, username: str):
    """The member of `organisation` called `username`, or None (also for another's member)."""
    return members_of(organisation=organisation).filter(username=username).first()

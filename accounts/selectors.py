"""Reads about organisations and memberships."""

from django.contrib.auth import get_user_model

from .models import Membership


def membership_for(*, user) -> Membership | None:
    """The user's membership (a person belongs to one organisation in the web app)."""
    if user is None or not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("organisation").filter(user=user).order_by("id").first()
    )


def members_of(*, organisation):
    """The people of an organisation (users with a membership), by username."""
    return (
        get_user_model()
        .objects.filter(memberships__organisation=organisation)
        .order_by("username")
        .distinct()
    )


def member_by_username(*, organisation, username: str):
    """The member of `organisation` with this username, or None (also for another org's user)."""
    return members_of(organisation=organisation).filter(username=username).first()


def non_members(*, organisation, users) -> list:
    """The users among `users` who are not members of `organisation` (one query)."""
    users = [user for user in users if user is not None]
    if not users:
        return []
    members = set(
        Membership.objects.filter(
            organisation=organisation, user_id__in=[user.pk for user in users]
        ).values_list("user_id", flat=True)
    )
    return [user for user in users if user.pk not in members]

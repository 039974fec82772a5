"""Pages for admins: members and their roles, API keys; and each member's own profile.

`page` and `role_required` live in accounts.pages; they stay importable from here.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import ApiKeyForm, MemberForm, ProfileForm, RoleForm
from .models import Role
from .pages import page, role_required


def _members(organisation):
    return organisation.memberships.select_related("user").order_by("user__username")


@role_required(Role.ADMIN)
def members(request):
    organisation = request.membership.organisation
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.create_user(
            organisation=organisation,
            username=form.cleaned_data["username"],
            role=form.cleaned_data["role"],
            password=form.cleaned_data["password"],
        )
        messages.success(
            request, _("%(name)s is now a member.") % {"name": form.cleaned_data["username"]}
        )
        return redirect("members")
    rows = [
        (m, RoleForm(initial={"role": m.role}, prefix=f"m{m.pk}")) for m in _members(organisation)
    ]
    return page(request, "accounts/members.html", {"form": form, "rows": rows})


def _membership(request, pk: int):
    membership = _members(request.membership.organisation).filter(pk=pk).first()
    if membership is None:
        raise Http404
    return membership


def _other_admin_exists(membership) -> bool:
    return (
        membership.organisation.memberships.filter(role=Role.ADMIN)
        .exclude(pk=membership.pk)
        .exists()
    )


@role_required(Role.ADMIN)
@require_POST
def member_role(request, pk: int):
    membership = _membership(request, pk)
    form = RoleForm(request.POST, prefix=f"m{pk}")
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
    elif (
        form.cleaned_data["role"] != Role.ADMIN
        and membership.role == Role.ADMIN
        and not (_other_admin_exists(membership))
    ):
        messages.error(request, _("The organisation needs at least one admin."))
    else:
        membership.role = form.cleaned_data["role"]
        membership.save(update_fields=["role"])
        messages.success(
            request,
            _("%(name)s is now %(role)s.")
            % {"name": membership.user.username, "role": membership.get_role_display()},
        )
    return redirect("members")


@role_required(Role.ADMIN)
@require_POST
def member_remove(request, pk: int):
    membership = _membership(request, pk)
    if membership.role == Role.ADMIN and not _other_admin_exists(membership):
        messages.error(request, _("The organisation needs at least one admin."))
    else:
        with transaction.atomic():
            membership.delete()
        messages.success(request, _("%(name)s was removed.") % {"name": membership.user.username})
    return redirect("members")


@role_required(Role.ADMIN)
def api_keys(request):
    organisation = request.membership.organisation
    form = ApiKeyForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        # The secret is rendered once in this answer and never stored (not even in a message).
        _key, secret = services.create_api_key(
            organisation=organisation, name=form.cleaned_data["name"]
        )
        form = ApiKeyForm()
    keys = organisation.api_keys.all()
    return page(request, "accounts/api_keys.html", {"form": form, "keys": keys, "secret": secret})


@role_required(Role.ADMIN)
@require_POST
def api_key_revoke(request, pk: int):
    api_key = request.membership.organisation.api_keys.filter(
        pk=pk, revoked_at__isnull=True
    ).first()
    if api_key is None:
        raise Http404
    services.revoke_api_key(api_key=api_key)
    messages.success(request, _("The key “%(name)s” was revoked.") % {"name": api_key.name})
    return redirect("api-keys")


@role_required(Role.VIEWER)
def profile(request):
    """The member's own page: e-mail address and how notifications reach them."""
    membership = request.membership
    initial = {"email": request.user.email, "notify": membership.notify}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_profile(membership=membership, **form.cleaned_data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Your settings were saved."))
                return redirect("profile")
        return page(request, "accounts/profile.html", {"form": form}, status=400)
    return page(request, "accounts/profile.html", {"form": form})

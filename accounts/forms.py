"""Forms of the admin pages."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from .models import NotifyChoice, Role


class MemberForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(render_value=False))

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        field = get_user_model()._meta.get_field("username")
        for validator in field.validators:
            validator(username)
        # Only new people: an existing account may belong to another organisation.
        if get_user_model().objects.filter(username=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("Which system uses the key, e.g. crm.")
    )


class ProfileForm(forms.Form):
    """A member's own settings: the address mails go to and how notifications reach them."""

    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        help_text=_("Notifications go to this address. Empty: no mails."),
    )
    notify = forms.ChoiceField(
        label=_("Notifications"),
        choices=NotifyChoice.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "At once: one mail for each batch of new deviations. Daily digest: one mail a day "
            "with everything new. Never: no mails (the deviations inbox still lists them)."
        ),
    )

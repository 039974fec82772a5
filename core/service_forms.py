"""Forms (admin and pages) whose rules are a service's: the form shapes input, the service decides.

`dry_run(form, save)` runs the save in a savepoint that is rolled back, so a refusal shows on the
field it names before the admin saves anything; `ServiceValidatedForm` skips the model's own
validation (the service's rules stand instead) and fills the instance only for the admin's
messages and history.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import construct_instance


def add_service_errors(form: forms.Form, error: ValidationError, aliases=None) -> None:
    """The service's ValidationError as form errors: on the field it names (or its alias in
    `aliases`) when the form has it, else on the form."""
    aliases = aliases or {}
    problems = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, messages in problems.items():
        name = aliases.get(field, field)
        form.add_error(name if name in form.fields else None, messages)


def dry_run(form: forms.Form, save, aliases=None) -> None:
    """Run `save()` in a savepoint that is rolled back; its ValidationError becomes form errors
    (on the field it names when the form has it)."""
    try:
        with transaction.atomic():
            save()
            transaction.set_rollback(True)
    except ValidationError as error:
        add_service_errors(form, error, aliases)


class ServiceValidatedForm(forms.ModelForm):
    def _post_clean(self):
        # The admin's messages and history name the instance; the rules are the service's.
        construct_instance(self, self.instance, self._meta.fields)

"""The caller's part of a phone order (R-ORD-1): who is calling, found or created by phone."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from accounts.models import Role

User = get_user_model()


class CallerForm(forms.Form):
    phone = PhoneNumberField(
        label=_("Caller's phone number"),
        error_messages={"invalid": _("Enter a valid phone number, e.g. 0912 345 6789.")},
    )
    full_name = forms.CharField(
        label=_("Caller's full name"),
        max_length=150,
        required=False,
        help_text=_("Needed only for a new customer."),
    )
    preferred_language = forms.ChoiceField(
        label=_("Language for messages"), choices=settings.LANGUAGES, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preferred_language"].initial = get_language()

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        self.customer = User.objects.filter(phone=phone).first()
        if self.customer is not None and (
            self.customer.role != Role.CUSTOMER or self.customer.is_staff
        ):
            raise forms.ValidationError(
                _(
                    "This number belongs to a provider or a member of staff, not a customer. "
                    "Orders can only be taken for customers."
                ),
                code="not_a_customer",
            )
        return phone

    def clean(self):
        cleaned = super().clean()
        if self.errors or getattr(self, "customer", None) is not None:
            return cleaned
        if not cleaned.get("full_name", "").strip():
            self.add_error("full_name", _("This caller is new: enter their full name."))
        if not cleaned.get("preferred_language"):
            self.add_error("preferred_language", _("Choose the language for their messages."))
        return cleaned

    def customer_for_order(self):
        """The caller's account: the existing customer, or a new one who cannot log in with a
        password until they set one (call inside the booking transaction)."""
        if self.customer is not None:
            return self.customer
        data = self.cleaned_data
        customer = User(
            phone=data["phone"],
            full_name=data["full_name"].strip(),
            role=Role.CUSTOMER,
            preferred_language=data["preferred_language"],
        )
        customer.set_unusable_password()
        customer.full_clean(exclude=["password"])
        customer.save()
        return customer

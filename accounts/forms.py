from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AdminPasswordChangeForm, AuthenticationForm
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from .models import User
from .services import ascii_digits, set_user_password


class PhoneForm(forms.Form):
    phone = PhoneNumberField(
        label=_("Mobile phone number"),
        help_text=_("We send a code by SMS to confirm it. It will be your login."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self):
        code = "".join(ascii_digits(self.cleaned_data["code"]).split())
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError(_("The code has 6 digits."))
        return code


class _NewPassword(forms.Form):
    """Two password fields that must agree; the service checks the password's strength."""

    password_fields = ("password1", "password2")

    def clean(self):
        cleaned = super().clean()
        first, second = (cleaned.get(name) for name in self.password_fields)
        if first and second and first != second:
            self.add_error(self.password_fields[1], _("The two passwords do not match."))
        return cleaned


class CustomerSignupForm(_NewPassword):
    """The last step of a customer's sign-up, once the number is confirmed."""

    full_name = User._meta.get_field("full_name").formfield()
    email = User._meta.get_field("email").formfield()
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password1")
        if password and not self.has_error("password2"):
            candidate = User(full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class NewPasswordForm(_NewPassword):
    password_fields = ("new_password1", "new_password2")

    new_password1 = forms.CharField(
        label=_("New password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )


class _LimitedLogin:
    """A login form that says "too many attempts, try again in N minutes" when the limits
    refused the try (accounts.backends), instead of "wrong password"."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            refusal = getattr(self.request, "login_refusal", None)
            if refusal is not None:
                raise refusal from None
            raise


class LoginForm(_LimitedLogin, AuthenticationForm):
    pass


class AdminLoginForm(_LimitedLogin, AdminAuthenticationForm):
    pass


class UserPasswordAdminForm(AdminPasswordChangeForm):
    """The admin's "change password" page for a user: the service sets the password and signs
    the user out of the app everywhere."""

    def save(self, commit=True):
        usable = self.cleaned_data["set_usable_password"]
        password = self.cleaned_data["password1"] if usable else None
        return set_user_password(user=self.user, password=password)

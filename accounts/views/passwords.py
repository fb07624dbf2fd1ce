"""A new password by SMS code, for anyone who forgot theirs: the phone number, the code, then
the new password (R-SEC-3: limited like every door, and the first step answers alike whether
or not the number has an account)."""

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import add_refusal

from ..forms import NewPasswordForm
from ..models import CodePurpose
from ..services import AccountError, set_password_by_code
from .phone_steps import PhoneSteps

RESET = PhoneSteps(
    session_key="password_reset",
    purpose=CodePurpose.PASSWORD_RESET,
    phone_template="accounts/password_phone.html",
    code_template="accounts/password_code.html",
    phone_url="accounts:password_reset",
    code_url="accounts:password_reset_code",
    next_url="accounts:password_reset_new",
    sent_message=gettext_lazy(
        "If an account uses %(phone)s, we sent it a code by SMS. It expires in a few minutes."
    ),
)


def password_reset(request):
    """Step 1: the phone number."""
    return RESET.phone_step(request)


def password_reset_code(request):
    """Step 2: the code from the SMS."""
    return RESET.code_step(request)


def password_reset_new(request):
    """Step 3: the new password; the owner is then logged in."""
    phone = RESET.confirmed_phone(request)
    if phone is None:
        messages.info(request, _("Confirm your phone number first."))
        return redirect("accounts:password_reset")
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = set_password_by_code(phone=phone, password=form.cleaned_data["new_password1"])
        except AccountError as error:
            add_refusal(form, error)
        else:
            RESET.forget(request)
            login(request, user, backend="accounts.backends.PhoneNumberBackend")
            messages.success(request, _("Your new password is set. You are logged in."))
            return redirect("accounts:home_for_user")
    return render(request, "accounts/password_new.html", {"form": form, "phone": phone})

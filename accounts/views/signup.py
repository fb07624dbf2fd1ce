"""A customer's sign-up in three steps: the phone number, the code from the SMS, then name,
email and password. Nobody can open an account on someone else's number (R-SEC-3), and the
first step answers alike whether or not the number has an account."""

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import add_refusal

from ..forms import CustomerSignupForm
from ..models import CodePurpose
from ..services import AccountError, register_customer
from .phone_steps import PhoneSteps

SIGNUP = PhoneSteps(
    session_key="customer_signup",
    purpose=CodePurpose.NEW_ACCOUNT,
    phone_template="accounts/signup_phone.html",
    code_template="accounts/signup_code.html",
    phone_url="accounts:signup",
    code_url="accounts:signup_code",
    next_url="accounts:signup_details",
    sent_message=gettext_lazy("We sent a code by SMS to %(phone)s."),
)


def _signed_in(request):
    return redirect("accounts:home_for_user") if request.user.is_authenticated else None


def signup(request):
    """Step 1: the phone number."""
    return _signed_in(request) or SIGNUP.phone_step(request)


def signup_code(request):
    """Step 2: the code from the SMS."""
    return _signed_in(request) or SIGNUP.code_step(request)


def signup_details(request):
    """Step 3: name, email and password; the customer is then logged in."""
    if request.user.is_authenticated:
        return redirect("accounts:home_for_user")
    phone = SIGNUP.confirmed_phone(request)
    if phone is None:
        messages.info(request, _("Confirm your phone number first."))
        return redirect("accounts:signup")
    form = CustomerSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = register_customer(
                full_name=form.cleaned_data["full_name"],
                phone=phone,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except AccountError as error:
            add_refusal(form, error)
        else:
            SIGNUP.forget(request)
            login(request, user, backend="accounts.backends.PhoneNumberBackend")
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect("orders:book")
    return render(request, "accounts/signup.html", {"form": form, "phone": phone})

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import services
from .forms import CustomerSignupForm


def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:home_for_user")
    form = CustomerSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.register_customer(
            full_name=form.cleaned_data["full_name"],
            phone=form.cleaned_data["phone"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        login(request, user, backend="accounts.backends.PhoneNumberBackend")
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect("orders:book")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def home_for_user(request):
    """Where each role lands after logging in."""
    user = request.user
    if user.is_staff:
        return redirect("admin:index")
    if user.is_provider:
        # Applicants, and providers who cannot take offers now, land on their status page.
        provider = getattr(user, "provider", None)
        if provider is None or not provider.is_bookable:
            return redirect("providers:application")
        return redirect("matching:dashboard")
    return redirect("orders:list")

"""Logging in (limited by account and by address: accounts.backends) and where each role lands."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from core.forms import limited_response

from ..forms import LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        return limited_response(super().form_invalid(form), form)


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

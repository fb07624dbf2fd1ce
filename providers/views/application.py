"""The public application (R-VET-1) and the applicant's status page.

/providers/apply/ (phone) -> SMS code -> /providers/apply/verify/ -> the confirmed number is kept
in the session -> /providers/apply/details/ (the form) -> the applicant is logged in and lands on
/providers/application/, which shows where the application stands and what comes next.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import provider_required
from accounts.services import PhoneVerificationError, send_phone_code, verify_phone_code
from core.forms import add_refusal
from core.throttle import allow, client_ip

from ..forms.application import ApplicationForm, CodeForm, PhoneForm, WithdrawForm
from ..models import InterviewStatus, Provider
from ..models import ProviderStatus as S
from ..services import application as application_services
from ..services.appeals import APPEALABLE_STATUSES
from ..services.commitment import can_sign_commitment
from ..services.lifecycle import ALLOWED_TRANSITIONS, ProviderTransitionError, withdraw_application
from ..stages import FUNNEL, NEXT_STEP

SESSION_KEY = "provider_application"


# Applying ---------------------------------------------------------------------------------------


def _ltr(text: str) -> str:
    """Keep a phone number left to right inside a right-to-left sentence (Unicode isolate)."""
    return f"\u2066{text}\u2069"


def _signed_in_already(request):
    if request.user.is_provider:
        return redirect("providers:application")
    messages.info(
        request,
        _("You are logged in. To apply as a provider, log out and apply with your own phone."),
    )
    return redirect("accounts:home_for_user")


def _verified_phone(request) -> str | None:
    """The phone confirmed in this session, if it is still fresh enough to apply with."""
    state = request.session.get(SESSION_KEY) or {}
    verified_at = state.get("verified_at")
    if not verified_at:
        return None
    fresh_after = timezone.now() - timedelta(
        minutes=application_services.PHONE_VERIFIED_VALID_MINUTES
    )
    if datetime.fromisoformat(verified_at) < fresh_after:
        return None
    return state["phone"]


def apply(request):
    """Step 1: the phone number, to which a code is sent."""
    if request.user.is_authenticated:
        return _signed_in_already(request)
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"].as_e164
        if not allow(
            scope="phone-code",
            key=client_ip(request),
            limit=settings.PHONE_CODES_PER_IP_PER_HOUR,
            window_seconds=3600,
        ):
            form.add_error(
                None, _("Too many codes were asked for from this connection. Try again later.")
            )
            return render(request, "providers/application/apply.html", {"form": form}, status=429)
        try:
            send_phone_code(phone=phone)
        except PhoneVerificationError as error:
            if (request.session.get(SESSION_KEY) or {}).get("phone") == phone:
                # The code sent a moment ago to this browser is still good: go and enter it.
                messages.info(request, error.messages[0])
                return redirect("providers:apply_verify")
            form.add_error("phone", error)
        else:
            request.session[SESSION_KEY] = {"phone": phone}
            messages.success(
                request, _("We sent a code by SMS to %(phone)s.") % {"phone": _ltr(phone)}
            )
            return redirect("providers:apply_verify")
    return render(request, "providers/application/apply.html", {"form": form})


def apply_verify(request):
    """Step 2: the code from the SMS (or a new code)."""
    if request.user.is_authenticated:
        return _signed_in_already(request)
    state = request.session.get(SESSION_KEY)
    if not state:
        messages.info(request, _("Start with your phone number."))
        return redirect("providers:apply")
    phone = state["phone"]
    if request.method == "POST" and "resend" in request.POST:
        try:
            send_phone_code(phone=phone)
        except PhoneVerificationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request, _("We sent a new code to %(phone)s.") % {"phone": _ltr(phone)}
            )
        return redirect("providers:apply_verify")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verify_phone_code(phone=phone, code=form.cleaned_data["code"])
        except PhoneVerificationError as error:
            form.add_error("code", error)
        else:
            request.session[SESSION_KEY] = {
                "phone": phone,
                "verified_at": timezone.now().isoformat(),
            }
            messages.success(request, _("Your phone number is confirmed."))
            return redirect("providers:apply_details")
    return render(request, "providers/application/verify.html", {"form": form, "phone": phone})


def apply_details(request):
    """Step 3: everything else; on success the applicant is logged in."""
    if request.user.is_authenticated:
        return _signed_in_already(request)
    phone = _verified_phone(request)
    if phone is None:
        messages.info(request, _("Confirm your phone number first. We will send you a code."))
        return redirect("providers:apply")
    form = ApplicationForm(request.POST or None, request.FILES or None, phone=phone)
    if request.method == "POST" and form.is_valid():
        try:
            provider = application_services.submit_application(**form.application())
        except ValidationError as error:
            add_refusal(form, error)
        else:
            login(request, provider.user, backend="accounts.backends.PhoneNumberBackend")
            request.session.pop(SESSION_KEY, None)
            messages.success(
                request, _("Thank you! Your application is in. Here you can follow it.")
            )
            return redirect("providers:application")
    return render(request, "providers/application/details.html", {"form": form, "phone": phone})


# The applicant's status page ----------------------------------------------------------------


def funnel_progress(provider: Provider, events) -> list[dict]:
    """Each funnel stage marked done, current, stopped (rejected or withdrawn there) or todo."""
    status = provider.status
    state = "current"
    if status == S.UNDER_REVIEW:
        reached = S.IN_TRAINING
    elif status in FUNNEL:
        reached = status
    elif status in (S.REJECTED, S.WITHDRAWN):
        state = "stopped"
        ended = next((event for event in events if event.to_status == status), None)
        reached = ended.from_status if ended else S.APPLIED
        if reached == S.UNDER_REVIEW:
            reached = S.IN_TRAINING
        if reached not in FUNNEL:
            reached = S.APPLIED
    else:  # active once: suspended, probation, removal review, removed
        reached, state = S.ACTIVE, "done"
    index = FUNNEL.index(reached)
    return [
        {
            "status": stage,
            "label": S(stage).label,
            "state": "done" if i < index else state if i == index else "todo",
        }
        for i, stage in enumerate(FUNNEL)
    ]


@provider_required
def application_status(request):
    provider = get_object_or_404(Provider.objects.select_related("user"), user=request.user)
    events = list(provider.events.all())
    interview = (
        provider.interviews.filter(status=InterviewStatus.SCHEDULED).order_by("starts_at").first()
    )
    context = {
        "provider": provider,
        "next_step": NEXT_STEP[provider.status],
        "progress": funnel_progress(provider, events),
        "events": events,
        "interview": interview,
        "can_withdraw": S.WITHDRAWN in ALLOWED_TRANSITIONS[provider.status],
        "withdraw_form": WithdrawForm(),
        "can_sign": can_sign_commitment(provider),
        "has_signed": hasattr(provider, "commitment"),
        "suspended": provider.status in APPEALABLE_STATUSES,
        "bookable": provider.is_bookable,
    }
    return render(request, "providers/application/status.html", context)


@provider_required
@require_POST
def application_withdraw(request):
    provider = get_object_or_404(Provider, user=request.user)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect("providers:application")
    try:
        withdraw_application(
            provider=provider, actor=request.user, note=form.cleaned_data["note"].strip()
        )
    except ProviderTransitionError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your application is withdrawn."))
    return redirect("providers:application")


urlpatterns = [
    path("apply/", apply, name="apply"),
    path("apply/verify/", apply_verify, name="apply_verify"),
    path("apply/details/", apply_details, name="apply_details"),
    path("application/", application_status, name="application"),
    path("application/withdraw/", application_withdraw, name="application_withdraw"),
]

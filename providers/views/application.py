"""The public application (R-VET-1) and the applicant's status page.

/providers/apply/ (phone) -> SMS code -> /providers/apply/verify/ -> the confirmed number is kept
in the session -> /providers/apply/details/ (the form) -> the applicant is logged in and lands on
/providers/application/, which shows where the application stands and what comes next.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.decorators import provider_required
from accounts.models import CodePurpose
from accounts.views.phone_steps import PhoneSteps
from core.forms import add_refusal

from ..forms.application import ApplicationForm, WithdrawForm
from ..models import InterviewStatus, Provider
from ..models import ProviderStatus as S
from ..services import application as application_services
from ..services.appeals import APPEALABLE_STATUSES
from ..services.commitment import can_sign_commitment
from ..services.lifecycle import ALLOWED_TRANSITIONS, ProviderTransitionError, withdraw_application
from ..stages import FUNNEL, NEXT_STEP

SESSION_KEY = "provider_application"


# Applying ---------------------------------------------------------------------------------------


def _signed_in_already(request):
    if request.user.is_provider:
        return redirect("providers:application")
    messages.info(
        request,
        _("You are logged in. To apply as a provider, log out and apply with your own phone."),
    )
    return redirect("accounts:home_for_user")


APPLY = PhoneSteps(
    session_key=SESSION_KEY,
    purpose=CodePurpose.NEW_ACCOUNT,
    phone_template="providers/application/apply.html",
    code_template="providers/application/verify.html",
    phone_url="providers:apply",
    code_url="providers:apply_verify",
    next_url="providers:apply_details",
    sent_message=gettext_lazy("We sent a code by SMS to %(phone)s."),
    confirmed_minutes=application_services.PHONE_VERIFIED_VALID_MINUTES,
)


def apply(request):
    """Step 1: the phone number, to which a code is sent."""
    if request.user.is_authenticated:
        return _signed_in_already(request)
    return APPLY.phone_step(request)


def apply_verify(request):
    """Step 2: the code from the SMS (or a new code)."""
    if request.user.is_authenticated:
        return _signed_in_already(request)
    return APPLY.code_step(request)


def apply_details(request):
    """Step 3: everything else; on success the applicant is logged in."""
    if request.user.is_authenticated:
        return _signed_in_already(request)
    phone = APPLY.confirmed_phone(request)
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
            APPLY.forget(request)
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

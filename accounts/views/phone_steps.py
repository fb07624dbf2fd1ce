"""The two steps that prove a phone number belongs to the person at the keyboard: the number
(a code is sent by SMS), then the code. The customer's sign-up, the password reset and the
provider application each run them with their own pages, purpose and next step; the confirmed
number is kept in the session for the step after.

Both steps are limited (accounts/limits.py: codes asked for and checked, per number and per
address) and answer 429 with Retry-After when a limit refuses. Neither says whether the number
has an account (accounts.services.phone_codes).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.forms import limited_response
from core.throttle import Limited, client_ip

from ..forms import CodeForm, PhoneForm
from ..services import PhoneVerificationError, check_phone_code, request_phone_code
from ..services.customers import CONFIRMED_NUMBER_MINUTES


def ltr(text: str) -> str:
    """Keep a phone number left to right inside a right-to-left sentence (Unicode isolate)."""
    return f"\u2066{text}\u2069"


@dataclass(frozen=True)
class PhoneSteps:
    session_key: str
    purpose: str
    phone_template: str
    code_template: str
    phone_url: str  # URL names of the two steps and of the step after
    code_url: str
    next_url: str
    # Said when a code was asked for, with %(phone)s; may not claim that one was sent.
    sent_message: str
    phone_form: type = PhoneForm
    # How long the confirmed number may be used for the step after.
    confirmed_minutes: int = CONFIRMED_NUMBER_MINUTES

    def phone_step(self, request, context=None):
        """Step 1: the number, to which a code is sent."""
        form = self.phone_form(request.POST or None)
        if request.method == "POST" and form.is_valid():
            phone = form.cleaned_data["phone"].as_e164
            try:
                request_phone_code(phone=phone, address=client_ip(request), purpose=self.purpose)
            except Limited as refusal:
                form.add_error(None, refusal)
            except PhoneVerificationError as error:
                if (request.session.get(self.session_key) or {}).get("phone") == phone:
                    # The code sent a moment ago to this browser is still good: go and enter it.
                    messages.info(request, error.messages[0])
                    return redirect(self.code_url)
                form.add_error("phone", error)
            else:
                request.session[self.session_key] = {"phone": phone}
                messages.success(request, str(self.sent_message) % {"phone": ltr(phone)})
                return redirect(self.code_url)
        page = render(request, self.phone_template, {"form": form, **(context or {})})
        return limited_response(page, form)

    def code_step(self, request, context=None):
        """Step 2: the code from the SMS (or a new code)."""
        state = request.session.get(self.session_key)
        if not state:
            messages.info(request, _("Start with your phone number."))
            return redirect(self.phone_url)
        phone = state["phone"]
        address = client_ip(request)
        if request.method == "POST" and "resend" in request.POST:
            try:
                request_phone_code(phone=phone, address=address, purpose=self.purpose)
            except (Limited, PhoneVerificationError) as error:
                messages.error(request, error.messages[0])
            else:
                messages.success(request, str(self.sent_message) % {"phone": ltr(phone)})
            return redirect(self.code_url)
        form = CodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                check_phone_code(
                    phone=phone,
                    code=form.cleaned_data["code"],
                    address=address,
                    purpose=self.purpose,
                )
            except Limited as refusal:
                form.add_error(None, refusal)
            except PhoneVerificationError as error:
                form.add_error("code", error)
            else:
                request.session[self.session_key] = {
                    "phone": phone,
                    "verified_at": timezone.now().isoformat(),
                }
                messages.success(request, _("Your phone number is confirmed."))
                return redirect(self.next_url)
        context = {"form": form, "phone": phone, **(context or {})}
        return limited_response(render(request, self.code_template, context), form)

    def confirmed_phone(self, request) -> str | None:
        """The number confirmed in this session, while still fresh enough to use."""
        state = request.session.get(self.session_key) or {}
        verified_at = state.get("verified_at")
        if not verified_at:
            return None
        fresh_after = timezone.now() - timedelta(minutes=self.confirmed_minutes)
        if datetime.fromisoformat(verified_at) < fresh_after:
            return None
        return state["phone"]

    def forget(self, request) -> None:
        request.session.pop(self.session_key, None)

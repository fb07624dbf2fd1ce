from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from phonenumber_field.phonenumber import to_python

from core.throttle import Limited, client_ip

from . import limits


class PhoneNumberBackend(ModelBackend):
    """Logs in by phone number written in any local or international form (0912..., +98912...).

    Every try with a request (web, admin and API logins) is limited by account and by address
    before the password is checked (accounts/limits.py). A refused try sets
    `request.login_refusal` (a core.throttle.Limited saying when to try again) and stops every
    backend; the login forms and the token view show it."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        phone = to_python(username or kwargs.get("phone"))
        account = phone.as_e164 if phone is not None and phone.is_valid() else ""
        address = client_ip(request) if request is not None else ""
        if request is not None:
            try:
                limits.hit_login(account=account, address=address)
            except Limited as refusal:
                request.login_refusal = refusal
                raise PermissionDenied from refusal
        if not account:
            return None
        user = super().authenticate(request, username=account, password=password)
        if user is not None and request is not None:
            limits.login_succeeded(account=account, address=address)
        return user

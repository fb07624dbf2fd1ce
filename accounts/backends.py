from django.contrib.auth.backends import ModelBackend
from phonenumber_field.phonenumber import to_python


class PhoneNumberBackend(ModelBackend):
    """Logs in by phone number written in any local or international form (0912..., +98912...)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        phone = to_python(username or kwargs.get("phone"))
        if phone is None or not phone.is_valid():
            return None
        return super().authenticate(request, username=phone.as_e164, password=password)

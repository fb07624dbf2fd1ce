"""The written commitment (R-VET-5): read it in your language, sign it once, see it afterwards."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.decorators import provider_required
from core.throttle import client_ip

from ..forms.commitment import CommitmentForm
from ..models import CommitmentSignature, CommitmentText, Provider
from ..services.commitment import (
    can_sign_commitment,
    commitment_sha256,
    current_commitment_text,
    sign_commitment,
)


@provider_required
def commitment(request):
    provider = get_object_or_404(Provider.objects.select_related("user"), user=request.user)
    signature = CommitmentSignature.objects.select_related("text").filter(provider=provider).first()
    language = translation.get_language()
    text = current_commitment_text(language)
    form = CommitmentForm(request.POST or None, initial={"text": text.pk if text else None})
    if request.method == "POST" and form.is_valid():
        shown = CommitmentText.objects.filter(pk=form.cleaned_data["text"]).first()
        try:
            if shown is None:
                raise ValidationError(
                    _("The commitment text has changed. Read the new version before signing.")
                )
            sign_commitment(
                provider=provider,
                typed_name=form.cleaned_data["typed_name"],
                ip_address=client_ip(request) or None,
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                language=language,
                text=shown,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, errors in error.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            elif signature is not None:
                messages.error(request, " ".join(error.messages))
                return redirect("providers:commitment")
            else:
                form.add_error(None, error)
        else:
            messages.success(request, _("Thank you. Your commitment is signed."))
            return redirect("providers:commitment")
    context = {"provider": provider, "signature": signature, "form": form}
    if signature is not None:
        context["document"] = signature.text.document
        context["text_unchanged"] = commitment_sha256(signature.text) == signature.text_sha256
    else:
        context["text"] = text
        context["document"] = text.document if text else ""
        context["can_sign"] = can_sign_commitment(provider)
    return render(request, "providers/commitment/commitment.html", context)


urlpatterns = [
    path("commitment/", commitment, name="commitment"),
]

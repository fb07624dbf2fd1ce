"""Why a provider was suspended, and their one appeal against it (R-VET-7)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from accounts.decorators import provider_required

from ..forms.appeals import AppealForm
from ..models import Provider, SuspensionAppeal
from ..services.appeals import AppealError, can_appeal, latest_suspension, submit_appeal


@provider_required
def suspension(request):
    provider = get_object_or_404(Provider.objects.select_related("user"), user=request.user)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            submit_appeal(provider=provider, text=form.cleaned_data["text"])
        except AppealError as error:
            if hasattr(error, "error_dict"):
                for name, errors in error.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.error(request, " ".join(error.messages))
                return redirect("providers:suspension")
        else:
            messages.success(request, _("Your appeal is sent. A manager will answer it."))
            return redirect("providers:suspension")
    event = latest_suspension(provider)
    appeal = (
        SuspensionAppeal.objects.filter(suspension=event).first() if event is not None else None
    )
    context = {
        "provider": provider,
        "event": event,
        "appeal": appeal,
        "can_appeal": can_appeal(provider),
        "form": form,
    }
    return render(request, "providers/appeals/suspension.html", context)


urlpatterns = [
    path("suspension/", suspension, name="suspension"),
]

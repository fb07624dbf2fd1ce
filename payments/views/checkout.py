"""The customer's side of paying: the pay page, the way back from the gateway, the gateway's
callback, and receipts (R-PAY-2, R-PAY-5). Thin: every rule is in payments.services."""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.decorators import customer_required
from orders.selectors import orders_for_customer

from ..documents import render_receipt_pdf
from ..gateways import CallbackRefused, GatewayError
from ..models import Payment, PaymentStatus, Receipt
from ..services import checkout

logger = logging.getLogger(__name__)


@customer_required
@require_http_methods(["GET", "POST"])
def pay(request, pk):
    """What paying for the order takes now (the order, fees owed, the wallet's part, the
    card's part); POST starts the payment and sends the customer to the gateway's page."""
    order = get_object_or_404(orders_for_customer(customer=request.user), pk=pk)
    refusal = checkout.payable_refusal(order)
    due = checkout.amount_due(order)
    if request.method == "POST" and refusal is None:
        try:
            payment = checkout.start_payment(order=order, customer=request.user)
            payment = checkout.send_to_gateway(
                payment,
                return_url=request.build_absolute_uri(
                    reverse("payments:return", args=[payment.gateway])
                ),
                callback_url=request.build_absolute_uri(
                    reverse("payments:callback", args=[payment.gateway])
                ),
            )
        except checkout.PaymentError as error:
            messages.error(request, error.message)
            return redirect("payments:pay", pk=order.pk)
        except GatewayError:
            logger.exception("payment gateway unreachable for order %s", order.pk)
            messages.error(
                request, _("The payment service cannot be reached just now. Try again shortly.")
            )
            return redirect("payments:pay", pk=order.pk)
        if payment.status == PaymentStatus.SUCCEEDED:
            messages.success(request, _("Paid from your wallet. Thank you!"))
            return redirect("orders:detail", pk=order.pk)
        return redirect(payment.redirect_url)
    return render(request, "payments/pay.html", {"order": order, "due": due, "refusal": refusal})


@require_safe
def payment_return(request, gateway):
    """The gateway sends the customer back here; the gateway is asked how it went."""
    try:
        payment = checkout.receive_return(gateway, request.GET)
    except CallbackRefused as error:
        return HttpResponseBadRequest(error.message)
    except GatewayError:
        messages.info(
            request, _("We could not confirm your payment yet; it will show here shortly.")
        )
        return redirect("orders:list")
    if payment.status == PaymentStatus.SUCCEEDED:
        messages.success(request, _("Payment received. Thank you!"))
    else:
        messages.error(request, _("The payment did not go through. You can try again."))
    return redirect("orders:detail", pk=payment.order_id)


@csrf_exempt  # a server-to-server call, authenticated by the gateway's signature
@require_POST
def payment_callback(request, gateway):
    headers = dict(request.headers)
    try:
        payment = checkout.receive_callback(gateway, request.body, headers)
    except CallbackRefused as error:
        logger.warning("payment callback refused (%s): %s", gateway, error.message)
        return JsonResponse({"error": error.message, "code": error.code}, status=400)
    except GatewayError:
        return JsonResponse({"error": "gateway unreachable"}, status=503)
    return JsonResponse({"reference": payment.reference, "status": payment.status})


@require_safe
def receipt_pdf(request, pk):
    """The receipt as a PDF, for its customer or staff who may see receipts."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    receipt = get_object_or_404(Receipt.objects.select_related("customer"), pk=pk)
    if receipt.customer_id != request.user.pk and not request.user.has_perm(
        "payments.view_receipt"
    ):
        raise PermissionDenied
    response = HttpResponse(render_receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{receipt.display_number}.pdf"'
    return response


def payments_of(order):
    return Payment.objects.filter(order=order).select_related("receipt")

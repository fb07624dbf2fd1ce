"""The mobile API for paying (R-PAY-2, R-PAY-3): start a payment for an order and open the
page the answer names, follow its status, and read the wallet. Thin: payments.services."""

from django.conf import settings
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from accounts.api import AUTH_ERRORS, ERRORS, CustomerAPIView
from core.api import NOT_FOUND_PAGE, ErrorOut, PageQuery, Pagination
from ledger.models import AccountKind
from ledger.money import from_minor
from ledger.selectors import balance, wallet_history
from orders.selectors import orders_for_customer

from .gateways import GatewayError
from .models import Payment
from .services import checkout
from .services.accounts import fees_account, wallet_account

TAGS = ["payments"]
NOT_FOUND = {404: OpenApiResponse(ErrorOut, description=_("No such order or payment of yours."))}


class PaymentOut(serializers.Serializer):
    reference = serializers.CharField()
    order = serializers.IntegerField(source="order_id")
    status = serializers.ChoiceField(choices=checkout.S.choices)
    currency = serializers.CharField()
    amount = serializers.SerializerMethodField(help_text=_("The total, in the currency's units."))
    wallet_amount = serializers.SerializerMethodField(help_text=_("Taken from the wallet."))
    gateway_amount = serializers.SerializerMethodField(help_text=_("Paid through the gateway."))
    payment_url = serializers.SerializerMethodField(
        help_text=_("Open this page for the customer to pay; empty once paid or finished.")
    )
    receipt_url = serializers.SerializerMethodField(help_text=_("The receipt's PDF once paid."))

    def _major(self, payment, minor) -> str:
        return f"{from_minor(minor, payment.currency):.2f}"

    def get_amount(self, payment) -> str:
        return self._major(payment, payment.amount)

    def get_wallet_amount(self, payment) -> str:
        return self._major(payment, payment.wallet_amount)

    def get_gateway_amount(self, payment) -> str:
        return self._major(payment, payment.gateway_amount)

    def get_payment_url(self, payment) -> str:
        if payment.status != checkout.S.PENDING or not payment.redirect_url:
            return ""
        return self.context["request"].build_absolute_uri(payment.redirect_url)

    def get_receipt_url(self, payment) -> str:
        receipt = getattr(payment, "receipt", None) if payment.status == "succeeded" else None
        if receipt is None:
            return ""
        url = reverse("payments:receipt_pdf", args=[receipt.pk])
        return self.context["request"].build_absolute_uri(url)


class WalletLineOut(serializers.Serializer):
    at = serializers.DateTimeField(source="entry.created_at")
    what = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(
        source="account.kind",
        choices=[AccountKind.CUSTOMER_WALLET, AccountKind.CUSTOMER_DUE],
        help_text=_("customer_wallet: credit; customer_due: a fee owed."),
    )
    amount = serializers.SerializerMethodField()
    currency = serializers.CharField()

    def get_what(self, line) -> str:
        return str(_(line.entry.memo))

    def get_amount(self, line) -> str:
        return f"{from_minor(line.amount, line.currency):.2f}"


class WalletOut(serializers.Serializer):
    currency = serializers.CharField()
    balance = serializers.CharField(help_text=_("Credit you can spend."))
    owed = serializers.CharField(help_text=_("Fees you owe, collected with your next payment."))
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = WalletLineOut(many=True)


def _payment_for(request, reference) -> Payment:
    return get_object_or_404(
        Payment.objects.select_related("receipt"), customer=request.user, reference=reference
    )


class StartPaymentView(CustomerAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="payments_start",
        summary="Start paying for an order (the amount is the server's)",
        request=None,
        responses={
            201: PaymentOut,
            **ERRORS,
            **NOT_FOUND,
            503: OpenApiResponse(ErrorOut, description=_("The payment gateway cannot be reached.")),
        },
    )
    def post(self, request, pk):
        order = get_object_or_404(orders_for_customer(customer=request.user), pk=pk)
        payment = checkout.start_payment(order=order, customer=request.user)
        try:
            payment = checkout.send_to_gateway(
                payment,
                return_url=request.build_absolute_uri(
                    reverse("payments:return", args=[payment.gateway])
                ),
                callback_url=request.build_absolute_uri(
                    reverse("payments:callback", args=[payment.gateway])
                ),
            )
        except GatewayError as error:
            raise exceptions.APIException(
                _("The payment service cannot be reached just now. Try again shortly.")
            ) from error
        payment = _payment_for(request, payment.reference)
        return Response(
            PaymentOut(payment, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class PaymentDetailView(CustomerAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="payments_retrieve",
        summary="How one of your payments stands",
        parameters=[
            OpenApiParameter(
                "reference",
                str,
                OpenApiParameter.PATH,
                description=_("The payment's reference, as starting it answered."),
            )
        ],
        responses={200: PaymentOut, **AUTH_ERRORS, **NOT_FOUND},
    )
    def get(self, request, reference):
        payment = _payment_for(request, reference)
        return Response(PaymentOut(payment, context={"request": request}).data)


class WalletView(CustomerAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="wallet_retrieve",
        summary="Your wallet: its balance, fees owed, and every movement (newest first)",
        parameters=[PageQuery],
        responses={200: WalletOut, **ERRORS, **NOT_FOUND_PAGE},
    )
    def get(self, request):
        currency = settings.CURRENCY
        lines = wallet_history(customer=request.user).filter(Q(currency=currency))
        paginator = Pagination()
        page = paginator.paginate_queryset(lines, request, view=self)
        body = paginator.get_paginated_response(WalletLineOut(page, many=True).data).data
        credit = balance(wallet_account(request.user, currency))
        owed = max(0, -balance(fees_account(request.user, currency)))
        return Response(
            {
                "currency": currency,
                "balance": f"{from_minor(credit, currency):.2f}",
                "owed": f"{from_minor(owed, currency):.2f}",
                **body,
            }
        )


app_name = "payments_api"

urlpatterns = [
    path("v1/orders/<int:pk>/payments", StartPaymentView.as_view(), name="start"),
    path("v1/payments/<reference>", PaymentDetailView.as_view(), name="payment"),
    path("v1/wallet", WalletView.as_view(), name="wallet"),
]

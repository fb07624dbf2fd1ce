"""Payments' background work: the recovery sweep (beat) and the sandbox's callback."""

from celery import shared_task

from core.tasks import DB_TASK

from .gateways import sandbox
from .models import SandboxCharge
from .services import checkout


@shared_task(**DB_TASK)
def sweep_payments() -> int:
    """Beat: settle or cancel payments nobody reported on (a lost callback, a crash)."""
    return checkout.sweep_payments()


def deliver_sandbox_callback(charge_id: int) -> None:
    """The sandbox gateway's server-to-server call, signed as the gateway signs it. The sandbox
    lives in our own process, so it calls the entry point the callback view calls (with the
    same signed body and header) rather than making an HTTP request to itself."""
    charge = SandboxCharge.objects.get(pk=charge_id)
    body = sandbox.callback_body(charge)
    checkout.receive_callback("sandbox", body, {sandbox.SIGNATURE_HEADER: sandbox.sign(body)})

"""Helpers for the applicant-facing tests: applicants at any stage, pictures, the code flow."""

import io
import os
import re
import struct
import zlib
from itertools import pairwise

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.sms import LocmemSmsBackend
from providers.models import Provider, ProviderEvent, ProviderStatus
from providers.models.core import VETTED_STATUSES
from tests.factories import ProviderFactory

# Valid Iranian national codes, checked by hand:
# 0067749828: 0*10+0*9+6*8+7*7+7*6+4*5+9*4+8*3+2*2 = 223; 223 % 11 = 3; 11 - 3 = 8.
# 1234567891: ... = 210; 210 % 11 = 1 (< 2), so the check digit is 1.
# 0013542419: ... = 101; 101 % 11 = 2; 11 - 2 = 9.
NATIONAL_ID = "0067749828"
OTHER_NATIONAL_ID = "1234567891"
THIRD_NATIONAL_ID = "0013542419"
PHONE = "+989121110001"
PHONE_LOCAL = "0912 111 0001"


def applicant(status=ProviderStatus.APPLIED, **kwargs) -> Provider:
    """A provider at `status`; vetted statuses get their vetting completion time."""
    if status in VETTED_STATUSES:
        kwargs.setdefault("vetting_completed_at", "2024-01-01T00:00:00Z")
    else:
        kwargs["vetting_completed_at"] = None
    return ProviderFactory(status=status, **kwargs)


def record(provider, *steps, actor=None):
    """Write the events of a path of statuses, e.g. record(p, "", "applied", "screened")."""
    for from_status, to_status in pairwise(steps):
        ProviderEvent.objects.create(
            provider=provider,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            reason=f"{from_status or 'new'} to {to_status}",
        )


# Pictures -------------------------------------------------------------------------------------

EXIF_MAKE = 0x010F
EXIF_GPS_IFD = 0x8825


def jpeg_with_exif(size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[EXIF_MAKE] = "SpyCam 3000"
    exif[0x0131] = "Secret software"
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif.tobytes())
    return output.getvalue()


def png(size=(64, 48), mode="RGBA") -> bytes:
    image = Image.new(mode, size, (30, 120, 200, 128) if mode == "RGBA" else (30, 120, 200))
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def noisy_png(size=(200, 200)) -> bytes:
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def gif() -> bytes:
    output = io.BytesIO()
    Image.new("P", (10, 10)).save(output, format="GIF")
    return output.getvalue()


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def upload(content: bytes, name="me.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# The code flow --------------------------------------------------------------------------------


def last_code(phone=PHONE) -> str:
    texts = [m["text"] for m in LocmemSmsBackend.outbox if m["to"] == phone]
    assert texts, f"no SMS to {phone}"
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


def confirm_phone(client, capture, phone=PHONE_LOCAL, e164=PHONE):
    """Go through /apply/ and /apply/verify/ as an applicant does."""
    with capture(execute=True):
        response = client.post(reverse("providers:apply"), {"phone": phone})
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(reverse("providers:apply_verify"), {"code": last_code(e164)})
    assert response.status_code == 302
    assert response["Location"] == reverse("providers:apply_details")
    return response

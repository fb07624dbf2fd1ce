"""Identity and background documents (R-VET-4, R-SEC-1).

Uploads are checked by their content, never by their name or the browser's content type: only
JPEG, PNG and PDF pass. Images are decoded under a pixel limit (decompression bombs are
refused), turned upright and re-encoded without EXIF or any other metadata. PDFs are parsed
with pypdf (R-SEC-6): unreadable or encrypted ones are refused, and so is any carrying
JavaScript, launch actions or embedded files, wherever they hide (compressed object streams,
#xx name escapes, objects nothing refers to). The bytes are then encrypted (accounts/crypto.py)
and written to private storage (mode 0600) under a random name. Only vetting staff read them
back, and every read is logged in DocumentAccess.
"""

import logging
import os
import re
import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

from accounts.models import StaffGroup
from core.crypto import decrypt_bytes, encrypt_bytes
from core.outbox import after_commit

from ..models import DocumentAccess, DocumentKind, Provider, VettingDocument
from ..models import ProviderStatus as S
from ..notifications import tell_provider
from .lifecycle import ProviderTransitionError, suspend_provider, transition

logger = logging.getLogger(__name__)

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
EXTENSIONS = {JPEG: "jpg", PNG: "png", PDF: "pdf"}
_MAGIC = (
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"%PDF-", PDF),
)
_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG"}
# What a PDF may not carry, as pypdf reads it (names with their #xx escapes undone).
_PDF_SCRIPT_KEYS = frozenset({"/JS", "/JavaScript", "/XFA"})  # XFA forms run scripts of their own
_PDF_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch"})  # an action's /S
_PDF_EMBEDDED_KEYS = frozenset({"/EmbeddedFiles", "/EF"})  # the name tree, a file spec's files
_PDF_EMBEDDED_TYPES = frozenset({"/EmbeddedFile", "/FileAttachment"})  # /Type, /Subtype
# The same names in the raw bytes: a second look, for objects a viewer might find in a damaged
# file that the parser does not reach. #xx escapes are undone before the scan.
_PDF_RAW_SCRIPT = re.compile(rb"/(JavaScript|JS|Launch|XFA)(?![A-Za-z0-9])")
_PDF_RAW_EMBEDDED = re.compile(rb"/(EmbeddedFiles?|FileAttachment)(?![A-Za-z0-9])")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_EOF_WINDOW = 1024

# Documents are taken once the applicant passed the interview, and renewed while they work.
UPLOAD_STATUSES = frozenset(
    {
        S.INTERVIEWED,
        S.IDENTITY_VERIFIED,
        S.IN_TRAINING,
        S.UNDER_REVIEW,
        S.COMMITMENT_SIGNED,
        S.ACTIVE,
        S.SUSPENDED,
        S.PROBATION,
        S.REMOVAL_REVIEW,
    }
)
# Providers whose certificate the daily check watches (R-VET-4).
WATCHED_STATUSES = (S.ACTIVE, S.PROBATION)


class DocumentError(ValidationError):
    """The upload or check is refused; the message says why, for the operator."""


@dataclass(frozen=True)
class CleanUpload:
    """An upload that passed every check: `data` is what gets encrypted and stored."""

    data: bytes
    content_type: str
    original_name: str
    size: int


# Who may do what ------------------------------------------------------------------------------


def is_vetting_staff(user) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.is_staff and user.groups.filter(name=StaffGroup.VETTING).exists()


def can_read_documents(user) -> bool:
    """A superuser, or vetting staff holding providers.view_document_file."""
    return is_vetting_staff(user) and user.has_perm("providers.view_document_file")


def _require_vetting_staff(actor) -> None:
    if not is_vetting_staff(actor):
        raise DocumentError(_("Only vetting staff can handle identity documents."))


# Validating an upload ---------------------------------------------------------------------------


def validate_upload(
    *,
    provider: Provider,
    kind: str,
    uploaded_file,
    issued_on: date | None = None,
    expires_on: date | None = None,
) -> CleanUpload:
    """Every check upload_document makes, without saving anything; raises DocumentError."""
    if kind not in DocumentKind.values:
        raise DocumentError(_("Choose a document kind from the list."))
    if provider.status not in UPLOAD_STATUSES:
        raise DocumentError(
            _(
                "Documents are taken only after the interview is passed; "
                "this provider is %(status)s."
            )
            % {"status": provider.get_status_display().lower()}
        )
    _check_dates(kind=kind, issued_on=issued_on, expires_on=expires_on)
    data = _read_limited(uploaded_file)
    content_type = _sniff(data)
    if kind == DocumentKind.IN_PERSON_PHOTO and content_type == PDF:
        raise DocumentError(_("A photo taken in person must be a JPEG or PNG image."))
    clean = _check_pdf(data) if content_type == PDF else _reencode_image(data, content_type)
    return CleanUpload(
        data=clean,
        content_type=content_type,
        original_name=_safe_name(getattr(uploaded_file, "name", "") or ""),
        size=len(data),
    )


def _check_dates(*, kind: str, issued_on: date | None, expires_on: date | None) -> None:
    today = timezone.localdate()
    certificate = kind == DocumentKind.CRIMINAL_RECORD
    if certificate and (issued_on is None or expires_on is None):
        raise DocumentError(
            _("A certificate of no criminal record needs its issue date and its expiry date.")
        )
    if issued_on is not None and issued_on > today:
        raise DocumentError(_("The issue date cannot be in the future."))
    if issued_on is not None and expires_on is not None and expires_on <= issued_on:
        raise DocumentError(_("The expiry date must come after the issue date."))
    if certificate and expires_on is not None and expires_on <= today:
        raise DocumentError(
            _("This certificate expired on %(date)s; ask for a current one.")
            % {"date": expires_on.isoformat()}
        )


def _read_limited(uploaded_file) -> bytes:
    limit = settings.UPLOAD_MAX_BYTES
    too_large = DocumentError(
        _("The file is too large: at most %(limit)s is accepted.")
        % {"limit": filesizeformat(limit)}
    )
    declared = getattr(uploaded_file, "size", None)
    if declared is not None and declared > limit:
        raise too_large
    uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)  # the declared size may lie
    uploaded_file.seek(0)
    if len(data) > limit:
        raise too_large
    if not data:
        raise DocumentError(_("The file is empty."))
    return data


def _sniff(data: bytes) -> str:
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    raise DocumentError(
        _("Only JPEG, PNG and PDF files are accepted, and this file is none of them.")
    )


def _check_pdf(data: bytes) -> bytes:
    """Parse the PDF and refuse it unless it is readable, unencrypted and passive (R-SEC-6)."""
    if b"%%EOF" not in data[-_PDF_EOF_WINDOW:]:
        raise DocumentError(_("This PDF is damaged or incomplete: its end marker is missing."))
    damaged = DocumentError(_("This PDF is damaged and cannot be read."))
    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentError(
                _(
                    "This PDF is encrypted or protected by a password, which is not accepted. "
                    "Save or print an unprotected copy and upload that."
                )
            )
        if len(reader.pages) == 0:
            raise damaged
        found = _pdf_active_content(reader)
    except DocumentError:
        raise
    except Exception as exc:
        # A parser fed hostile bytes may fail in any way (pypdf's own errors, but also KeyError,
        # TypeError, RecursionError...): whatever it cannot read is refused, never retried.
        raise damaged from exc
    unescaped = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)
    if "script" in found or _PDF_RAW_SCRIPT.search(unescaped):
        raise DocumentError(
            _(
                "This PDF contains scripts or launch actions, which are not accepted. "
                "Print it to a new PDF or scan the paper document instead."
            )
        )
    if "embedded" in found or _PDF_RAW_EMBEDDED.search(unescaped):
        raise DocumentError(
            _(
                "This PDF carries attached or embedded files, which are not accepted. "
                "Print it to a new PDF or scan the paper document instead."
            )
        )
    return data


def _pdf_active_content(reader: PdfReader) -> set[str]:
    """What the file's objects hold of "script" and "embedded", whether reachable or not.

    The walk starts at the trailer and at every object the cross-reference tables list
    (compressed object streams included), and follows every reference once.
    """
    found: set[str] = set()
    pending: list[PdfObject] = [reader.trailer]
    pending += [
        IndirectObject(number, generation, reader)
        for generation, numbers in reader.xref.items()
        for number in numbers
    ]
    pending += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
    seen: set[tuple[int, int]] = set()
    while pending:
        item: PdfObject | None = pending.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, DictionaryObject):  # a stream object too: its dictionary
            for key, value in item.items():
                resolved = value.get_object() if isinstance(value, IndirectObject) else value
                name = resolved if isinstance(resolved, NameObject) else None
                if key in _PDF_SCRIPT_KEYS or (key == "/S" and name in _PDF_ACTIVE_ACTIONS):
                    found.add("script")
                elif key in _PDF_EMBEDDED_KEYS or (
                    key in ("/Type", "/Subtype") and name in _PDF_EMBEDDED_TYPES
                ):
                    found.add("embedded")
                pending.append(value)
        elif isinstance(item, ArrayObject):
            pending.extend(item)
    return found


def _reencode_image(data: bytes, content_type: str) -> bytes:
    """Decode under the pixel limit, turn upright, and re-encode with no metadata at all."""
    expected = _PIL_FORMATS[content_type]
    bomb = DocumentError(
        _("The image has too many pixels: at most %(limit)s are accepted.")
        % {"limit": number_format(settings.UPLOAD_MAX_PIXELS, force_grouping=True)}
    )
    damaged = DocumentError(_("The image is damaged and cannot be read."))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # The header alone gives the size: refuse before any pixel is decoded.
            with Image.open(BytesIO(data), formats=[expected]) as probe:
                width, height = probe.size
                if width * height > settings.UPLOAD_MAX_PIXELS:
                    raise bomb
                probe.verify()
            with Image.open(BytesIO(data), formats=[expected]) as image:
                upright = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise bomb from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise damaged from exc
    if content_type == JPEG:
        mode = upright.mode if upright.mode in ("L", "RGB") else "RGB"
        image_format, options = "JPEG", {"quality": 90}
    else:
        keep = ("1", "L", "LA", "I", "I;16", "RGB", "RGBA")
        mode = upright.mode if upright.mode in keep else "RGBA"
        image_format, options = "PNG", {"optimize": True}
    converted = upright.convert(mode) if upright.mode != mode else upright
    # A fresh image carries no info dict: no EXIF, XMP, ICC profile, comments or text chunks.
    clean = Image.frombytes(converted.mode, converted.size, converted.tobytes())
    out = BytesIO()
    clean.save(out, format=image_format, **options)
    return out.getvalue()


def _safe_name(name: str) -> str:
    name = os.path.basename(name.replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    max_length = VettingDocument._meta.get_field("original_name").max_length
    return name[:max_length] or "upload"


# Services ---------------------------------------------------------------------------------------


@transaction.atomic
def upload_document(
    *,
    provider: Provider,
    kind: str,
    uploaded_file,
    actor,
    issued_on: date | None = None,
    expires_on: date | None = None,
) -> VettingDocument:
    """Validate, sanitise, encrypt and store a document for the provider."""
    _require_vetting_staff(actor)
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    clean = validate_upload(
        provider=provider,
        kind=kind,
        uploaded_file=uploaded_file,
        issued_on=issued_on,
        expires_on=expires_on,
    )
    document = VettingDocument(
        provider=provider,
        kind=kind,
        content_type=clean.content_type,
        original_name=clean.original_name,
        size=clean.size,
        uploaded_by=actor,
        issued_on=issued_on,
        expires_on=expires_on,
    )
    # The storage name is random (models/documents.py: document_path); the original is unused.
    document.file.save("upload.bin", ContentFile(encrypt_bytes(clean.data)), save=False)
    stored_name = document.file.name
    try:
        document.save()
    except Exception:
        # Nothing may be left behind by a refused upload. (A rollback by the caller after this
        # returns can still leave an orphan file; it holds ciphertext only.)
        document.file.storage.delete(stored_name)
        raise
    return document


@transaction.atomic
def mark_original_checked(*, document: VettingDocument, actor) -> VettingDocument:
    """Staff saw the original paper (or took the photo) and confirm the upload matches it."""
    _require_vetting_staff(actor)
    locked = VettingDocument.objects.select_for_update().get(pk=document.pk)
    if locked.original_checked_at is not None:
        raise DocumentError(
            _("This original was already checked on %(date)s.")
            % {"date": timezone.localtime(locked.original_checked_at).strftime("%Y-%m-%d %H:%M")}
        )
    if (
        locked.kind == DocumentKind.CRIMINAL_RECORD
        and locked.expires_on is not None
        and locked.expires_on <= timezone.localdate()
    ):
        raise DocumentError(_("This certificate has expired; upload a current one."))
    locked.original_checked_at = timezone.now()
    locked.checked_by = actor
    locked.save(update_fields=["original_checked_at", "checked_by"])
    document.original_checked_at = locked.original_checked_at
    document.checked_by = actor
    return document


def _expired(certificate: VettingDocument, *, on: date) -> bool:
    # A certificate always has its dates (the certificate_has_dates constraint).
    return certificate.expires_on is None or certificate.expires_on <= on


def current_certificate(provider: Provider) -> VettingDocument | None:
    """The checked certificate of no criminal record that runs longest, if any."""
    return (
        VettingDocument.objects.filter(
            provider=provider,
            kind=DocumentKind.CRIMINAL_RECORD,
            original_checked_at__isnull=False,
        )
        .order_by("-expires_on", "-original_checked_at", "-pk")
        .first()
    )


def identity_blockers(provider: Provider) -> list[str]:
    """What is missing before the identity can be verified; empty when nothing is."""
    checked = set(
        VettingDocument.objects.filter(
            provider=provider, original_checked_at__isnull=False
        ).values_list("kind", flat=True)
    )
    blockers = [
        _("Not checked yet: %(document)s.") % {"document": kind.label}
        for kind in DocumentKind
        if kind not in checked
    ]
    certificate = current_certificate(provider)
    if certificate is not None and _expired(certificate, on=timezone.localdate()):
        blockers.append(_("The certificate of no criminal record has expired."))
    return blockers


@transaction.atomic
def verify_identity(*, provider: Provider, actor) -> Provider:
    """INTERVIEWED -> IDENTITY_VERIFIED once every document kind has a checked original."""
    _require_vetting_staff(actor)
    locked = Provider.objects.select_for_update().get(pk=provider.pk)
    if locked.status != S.INTERVIEWED:
        raise ProviderTransitionError(
            _("Identity is verified after a passed interview; this provider is %(status)s.")
            % {"status": locked.get_status_display().lower()}
        )
    blockers = identity_blockers(locked)
    if blockers:
        raise ProviderTransitionError(blockers)
    return transition(
        provider=provider,
        to=S.IDENTITY_VERIFIED,
        actor=actor,
        reason=gettext_noop("Identity documents and background certificate checked"),
    )


@transaction.atomic
def read_document(*, document: VettingDocument, user, ip_address: str | None) -> bytes:
    """The decrypted bytes, for vetting staff only; every read is logged."""
    if not can_read_documents(user):
        logger.warning(
            "Refused vetting document %s to user %s from %s",
            document.pk,
            getattr(user, "pk", None),
            ip_address,
        )
        raise PermissionDenied
    with document.file.open("rb") as stored:
        data = decrypt_bytes(stored.read())
    DocumentAccess.record(document, user=user, ip_address=ip_address)
    return data


# The daily certificate check ---------------------------------------------------------------------


def check_certificate_expiry() -> dict[str, int]:
    """Warn active providers whose certificate expires soon, suspend those whose has expired.

    Safe to run any number of times: a provider is warned once per certificate (the stamp is
    compared with when that certificate was checked) and a suspended one is no longer watched.
    """
    today = timezone.localdate()
    warn_until = today + timedelta(days=settings.CERTIFICATE_WARNING_DAYS)
    newest = VettingDocument.objects.filter(
        provider=OuterRef("pk"),
        kind=DocumentKind.CRIMINAL_RECORD,
        original_checked_at__isnull=False,
    ).order_by("-expires_on", "-original_checked_at", "-pk")
    watched = (
        Provider.objects.filter(status__in=WATCHED_STATUSES)
        .annotate(
            certificate_expires=Subquery(newest.values("expires_on")[:1]),
            certificate_checked_at=Subquery(newest.values("original_checked_at")[:1]),
        )
        .order_by("pk")
        .values_list(
            "pk", "certificate_expires", "certificate_checked_at", "certificate_warning_sent_at"
        )
    )
    counts = {"warned": 0, "suspended": 0}
    for provider_id, expires, checked_at, warned_at in watched.iterator():
        if expires is None or expires <= today:
            counts["suspended"] += _suspend_without_certificate(provider_id)
        elif expires <= warn_until and (warned_at is None or warned_at < checked_at):
            counts["warned"] += _warn_certificate_expiring(provider_id, checked_at, expires)
    if any(counts.values()):
        logger.info("Certificate check: %(warned)d warned, %(suspended)d suspended", counts)
    return counts


@transaction.atomic
def _warn_certificate_expiring(provider_id: int, checked_at, expires: date) -> int:
    # Claim the warning with a conditional update: two runs at once warn once.
    claimed = (
        Provider.objects.filter(pk=provider_id, status__in=WATCHED_STATUSES)
        .filter(
            Q(certificate_warning_sent_at__isnull=True)
            | Q(certificate_warning_sent_at__lt=checked_at)
        )
        .update(certificate_warning_sent_at=timezone.now())
    )
    if claimed:
        after_commit(_send_expiry_warning, provider_id, expires.isoformat())
    return claimed


def _send_expiry_warning(provider_id: int, expires_on: str) -> None:
    expires = date.fromisoformat(expires_on)
    provider = Provider.objects.select_related("user").get(pk=provider_id)
    days_left = (expires - timezone.localdate()).days
    tell_provider(provider, "certificate_expiring", expires_on=expires, days_left=days_left)


@transaction.atomic
def _suspend_without_certificate(provider_id: int) -> int:
    locked = Provider.objects.select_for_update().get(pk=provider_id)
    if locked.status not in WATCHED_STATUSES:
        return 0
    certificate = current_certificate(locked)
    if certificate is not None and not _expired(certificate, on=timezone.localdate()):
        return 0  # a current certificate was checked since the list was read
    reason = (
        gettext_noop("No checked certificate of no criminal record is on file.")
        if certificate is None
        else gettext_noop("The certificate of no criminal record has expired.")
    )
    suspend_provider(provider=locked, actor=None, reason=reason, retrain=False)
    return 1

import struct
import zlib
from datetime import date, datetime, timedelta
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.checks import run_checks
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.groups import sync_staff_groups
from accounts.models import Role, StaffGroup
from config.celery import app as celery_app
from core import crypto
from providers.admin import VettingDocumentInline
from providers.checks import private_media_is_not_served
from providers.models import (
    Course,
    DocumentAccess,
    DocumentKind,
    Enrollment,
    Provider,
    ProviderEvent,
    ProviderStatus,
    VettingDocument,
)
from providers.services.documents import (
    DocumentError,
    check_certificate_expiry,
    mark_original_checked,
    read_document,
    upload_document,
    verify_identity,
)
from providers.services.lifecycle import ProviderTransitionError
from providers.tasks import check_certificate_expiry_task
from tests.factories import CustomerFactory, ProviderFactory, UserFactory
from tests.providers import file_factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.requirement("R-VET-4", "R-SEC-1"),
]

# A fixed "now" (local time, Asia/Tehran) for everything that depends on dates.
NOW = datetime(2026, 3, 10, 9, 0)
TODAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path, time_machine):
    time_machine.move_to(timezone.make_aware(NOW), tick=False)
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def stored_files(root: Path) -> list[Path]:
    return [path for path in Path(root).rglob("*") if path.is_file()]


def staff_in(group_name: str, **kwargs):
    sync_staff_groups()
    user = UserFactory(role=Role.OPERATOR, is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def vetting_staff(db):
    return staff_in(StaffGroup.VETTING, full_name="Vera Vetting")


@pytest.fixture
def support_staff(db):
    return staff_in(StaffGroup.SUPPORT, full_name="Sam Support")


@pytest.fixture
def applicant(db):
    return ProviderFactory(
        status=ProviderStatus.INTERVIEWED,
        vetting_completed_at=None,
        user__full_name="Nasrin Applicant",
    )


# Files -------------------------------------------------------------------------------------------


def jpeg_bytes(size=(40, 20), **save_options) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG", **save_options)
    return out.getvalue()


def png_bytes(size=(16, 16)) -> bytes:
    out = BytesIO()
    Image.new("RGBA", size, (10, 120, 200, 255)).save(out, "PNG")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A small real PNG whose header claims another size (with a correct checksum)."""
    data = bytearray(png_bytes())
    # signature (8) + length (4) + b"IHDR" (4), then width and height.
    data[16:24] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF
    data[29:33] = struct.pack(">I", crc)
    return bytes(data)


# PDFs are parsed (R-SEC-6): real ones, built with pypdf (tests/providers/file_factories.py).
PDF = file_factories.pdf_bytes()
PDF_WITH_SCRIPT = file_factories.pdf_with_open_action(file_factories.javascript_action())
# "/Lau#6Ech" is "/Launch" with an escaped letter.
PDF_WITH_HIDDEN_LAUNCH = file_factories.pdf_in_object_stream(
    b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /Lau#6Ech /F (x.exe) >> >>",
    file_factories.PAGES,
    file_factories.PAGE,
)
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def certificate_dates():
    return {"issued_on": TODAY - timedelta(days=10), "expires_on": TODAY + timedelta(days=355)}


def make_document(provider, kind, *, checked_by=None, content=b"%PDF-1.4 test", **fields):
    """A stored document straight in the database, bypassing the upload checks."""
    uploader = checked_by or UserFactory(role=Role.OPERATOR, is_staff=True)
    document = VettingDocument(
        provider=provider,
        kind=kind,
        content_type="application/pdf",
        original_name="scan.pdf",
        size=len(content),
        uploaded_by=uploader,
        original_checked_at=timezone.now() if checked_by else None,
        checked_by=checked_by,
        **fields,
    )
    document.file.save("x.bin", ContentFile(crypto.encrypt_bytes(content)), save=False)
    document.save()
    return document


def complete_documents(provider, actor, *, expires_on=None):
    make_document(provider, DocumentKind.ID_SCAN, checked_by=actor)
    make_document(provider, DocumentKind.IN_PERSON_PHOTO, checked_by=actor)
    return make_document(
        provider,
        DocumentKind.CRIMINAL_RECORD,
        checked_by=actor,
        issued_on=TODAY - timedelta(days=300),
        expires_on=expires_on or TODAY + timedelta(days=65),
    )


# Uploading ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "kind", "content_type", "pil_format"),
    [
        ("id-front.JPG", jpeg_bytes(), DocumentKind.ID_SCAN, "image/jpeg", "JPEG"),
        ("portrait.png", png_bytes(), DocumentKind.IN_PERSON_PHOTO, "image/png", "PNG"),
        ("certificate.pdf", PDF, DocumentKind.CRIMINAL_RECORD, "application/pdf", None),
    ],
)
def test_valid_upload_is_stored_encrypted_in_private_storage_under_a_random_name(
    applicant, vetting_staff, private_root, name, content, kind, content_type, pil_format
):
    dates = certificate_dates() if kind == DocumentKind.CRIMINAL_RECORD else {}
    document = upload_document(
        provider=applicant,
        kind=kind,
        uploaded_file=upload(f"C:\\Users\\me\\{name}", content, "text/plain"),
        actor=vetting_staff,
        **dates,
    )
    document.refresh_from_db()
    assert (document.kind, document.content_type) == (kind, content_type)
    assert document.original_name == name  # the client's folder is dropped
    assert document.size == len(content)
    assert document.uploaded_by == vetting_staff
    assert document.original_checked_at is None
    assert document.file.name.startswith("vetting/") and document.file.name.endswith(".bin")
    assert Path(name).stem not in document.file.name
    [path] = stored_files(private_root)
    assert path == Path(private_root) / document.file.name
    raw = path.read_bytes()
    assert raw != content
    assert content not in raw
    clean = crypto.decrypt_bytes(raw)
    if pil_format is None:
        assert clean == content  # PDFs are stored as they came
    else:
        with Image.open(BytesIO(clean)) as image:
            assert image.format == pil_format
            assert image.size == Image.open(BytesIO(content)).size


def test_jpeg_is_turned_upright_and_loses_exif_and_comments(applicant, vetting_staff):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    exif[0x010F] = "SecretCam"  # camera make
    exif[0x010E] = "Taken at 35.6892N 51.3890E"  # image description
    original = jpeg_bytes(size=(40, 20), exif=exif.tobytes(), comment=b"private comment")
    assert b"SecretCam" in original and b"private comment" in original
    document = upload_document(
        provider=applicant,
        kind=DocumentKind.ID_SCAN,
        uploaded_file=upload("scan.jpg", original, "image/jpeg"),
        actor=vetting_staff,
    )
    clean = read_document(document=document, user=vetting_staff, ip_address="10.0.0.5")
    for secret in (b"SecretCam", b"35.6892N", b"private comment", b"Exif"):
        assert secret not in clean
    with Image.open(BytesIO(clean)) as image:
        assert image.size == (20, 40)  # rotated upright
        assert len(image.getexif()) == 0
        assert "exif" not in image.info and "comment" not in image.info


def _expect_refusal(private_root, message, **kwargs):
    with pytest.raises(DocumentError) as refused:
        upload_document(**kwargs)
    assert refused.value.messages == [message]
    assert VettingDocument.objects.count() == 0
    assert stored_files(private_root) == []


NOT_ALLOWED = "Only JPEG, PNG and PDF files are accepted, and this file is none of them."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"just some text\n", NOT_ALLOWED),
        ("photo.jpg", EXECUTABLE, NOT_ALLOWED),  # a Windows program renamed to .jpg
        ("page.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', NOT_ALLOWED),
        ("empty.pdf", b"", "The file is empty."),
        (
            "certificate.pdf",
            PDF_WITH_SCRIPT,
            "This PDF contains scripts or launch actions, which are not accepted. "
            "Print it to a new PDF or scan the paper document instead.",
        ),
        (
            "certificate.pdf",
            PDF_WITH_HIDDEN_LAUNCH,
            "This PDF contains scripts or launch actions, which are not accepted. "
            "Print it to a new PDF or scan the paper document instead.",
        ),
        (
            "cut.pdf",
            PDF[:-8],
            "This PDF is damaged or incomplete: its end marker is missing.",
        ),
        (
            "broken.jpg",
            b"\xff\xd8\xff\xe0" + b"\x00garbage" * 20,
            "The image is damaged and cannot be read.",
        ),
    ],
)
def test_bad_files_are_refused_with_a_clear_message_and_nothing_saved(
    applicant, vetting_staff, private_root, name, content, message
):
    _expect_refusal(
        private_root,
        message,
        provider=applicant,
        kind=DocumentKind.ID_SCAN,
        uploaded_file=upload(name, content, "image/jpeg"),
        actor=vetting_staff,
    )


def test_oversize_file_is_refused(applicant, vetting_staff, private_root, settings):
    settings.UPLOAD_MAX_BYTES = 500
    content = jpeg_bytes(size=(200, 200))
    assert len(content) > 500
    _expect_refusal(
        private_root,
        "The file is too large: at most 500\xa0bytes is accepted.",
        provider=applicant,
        kind=DocumentKind.ID_SCAN,
        uploaded_file=upload("big.jpg", content, "image/jpeg"),
        actor=vetting_staff,
    )


@pytest.mark.parametrize(
    "content",
    [
        png_claiming(30_000, 30_000),  # Pillow's own bomb limit trips while opening
        png_claiming(5_000, 5_000),  # under Pillow's limit, over ours
    ],
)
def test_decompression_bomb_is_refused_before_decoding(
    applicant, vetting_staff, private_root, settings, content
):
    settings.UPLOAD_MAX_PIXELS = 1_000_000
    _expect_refusal(
        private_root,
        "The image has too many pixels: at most 1,000,000 are accepted.",
        provider=applicant,
        kind=DocumentKind.IN_PERSON_PHOTO,
        uploaded_file=upload("bomb.png", content, "image/png"),
        actor=vetting_staff,
    )


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ({}, "A certificate of no criminal record needs its issue date and its expiry date."),
        (
            {"issued_on": TODAY - timedelta(days=400), "expires_on": TODAY - timedelta(days=35)},
            "This certificate expired on 2026-02-03; ask for a current one.",
        ),
        (
            {"issued_on": TODAY - timedelta(days=365), "expires_on": TODAY},
            "This certificate expired on 2026-03-10; ask for a current one.",
        ),
        (
            {"issued_on": TODAY + timedelta(days=1), "expires_on": TODAY + timedelta(days=30)},
            "The issue date cannot be in the future.",
        ),
        (
            {"issued_on": TODAY - timedelta(days=1), "expires_on": TODAY - timedelta(days=2)},
            "The expiry date must come after the issue date.",
        ),
    ],
)
def test_certificate_needs_valid_current_dates(
    applicant, vetting_staff, private_root, dates, message
):
    _expect_refusal(
        private_root,
        message,
        provider=applicant,
        kind=DocumentKind.CRIMINAL_RECORD,
        uploaded_file=upload("certificate.pdf", PDF, "application/pdf"),
        actor=vetting_staff,
        **dates,
    )


def test_in_person_photo_must_be_an_image(applicant, vetting_staff, private_root):
    _expect_refusal(
        private_root,
        "A photo taken in person must be a JPEG or PNG image.",
        provider=applicant,
        kind=DocumentKind.IN_PERSON_PHOTO,
        uploaded_file=upload("photo.pdf", PDF),
        actor=vetting_staff,
    )


def test_upload_refused_before_the_interview_is_passed(vetting_staff, private_root):
    screened = ProviderFactory(status=ProviderStatus.SCREENED, vetting_completed_at=None)
    _expect_refusal(
        private_root,
        "Documents are taken only after the interview is passed; this provider is screened.",
        provider=screened,
        kind=DocumentKind.ID_SCAN,
        uploaded_file=upload("scan.pdf", PDF),
        actor=vetting_staff,
    )


def test_upload_refused_for_anyone_but_vetting_staff(applicant, support_staff, private_root):
    for actor in (support_staff, applicant.user):
        _expect_refusal(
            private_root,
            "Only vetting staff can handle identity documents.",
            provider=applicant,
            kind=DocumentKind.ID_SCAN,
            uploaded_file=upload("scan.pdf", PDF),
            actor=actor,
        )


def test_active_provider_can_bring_a_renewed_certificate(vetting_staff):
    provider = ProviderFactory()
    document = upload_document(
        provider=provider,
        kind=DocumentKind.CRIMINAL_RECORD,
        uploaded_file=upload("renewed.pdf", PDF),
        actor=vetting_staff,
        **certificate_dates(),
    )
    assert document.expires_on == TODAY + timedelta(days=355)


# Checking originals and verifying identity -------------------------------------------------------


def test_marking_an_original_checked_stamps_who_and_when_once(applicant, vetting_staff):
    document = make_document(applicant, DocumentKind.ID_SCAN)
    mark_original_checked(document=document, actor=vetting_staff)
    document.refresh_from_db()
    assert document.original_checked_at == timezone.now()
    assert document.checked_by == vetting_staff

    other = staff_in(StaffGroup.VETTING)
    with pytest.raises(DocumentError) as refused:
        mark_original_checked(document=document, actor=other)
    assert refused.value.messages == ["This original was already checked on 2026-03-10 09:00."]
    document.refresh_from_db()
    assert (document.original_checked_at, document.checked_by) == (timezone.now(), vetting_staff)


def test_support_staff_cannot_mark_an_original_checked(applicant, support_staff):
    document = make_document(applicant, DocumentKind.ID_SCAN)
    with pytest.raises(DocumentError):
        mark_original_checked(document=document, actor=support_staff)
    document.refresh_from_db()
    assert document.original_checked_at is None and document.checked_by is None


@pytest.mark.requirement("R-SEC-2")
def test_verify_identity_lists_what_is_missing_and_changes_nothing(applicant, vetting_staff):
    make_document(applicant, DocumentKind.ID_SCAN, checked_by=vetting_staff)
    make_document(applicant, DocumentKind.IN_PERSON_PHOTO)  # uploaded, original not checked
    with pytest.raises(ProviderTransitionError) as refused:
        verify_identity(provider=applicant, actor=vetting_staff)
    assert refused.value.messages == [
        "Not checked yet: Certificate of no criminal record.",
        "Not checked yet: Photo taken in person.",
    ]
    applicant.refresh_from_db()
    assert applicant.status == ProviderStatus.INTERVIEWED
    assert ProviderEvent.objects.filter(provider=applicant).count() == 0


@pytest.mark.requirement("R-SEC-2")
def test_verify_identity_refuses_an_expired_certificate(applicant, vetting_staff, time_machine):
    complete_documents(applicant, vetting_staff, expires_on=TODAY + timedelta(days=3))
    time_machine.move_to(timezone.make_aware(NOW + timedelta(days=3)), tick=False)
    with pytest.raises(ProviderTransitionError) as refused:
        verify_identity(provider=applicant, actor=vetting_staff)
    assert refused.value.messages == ["The certificate of no criminal record has expired."]
    applicant.refresh_from_db()
    assert applicant.status == ProviderStatus.INTERVIEWED
    assert not ProviderEvent.objects.filter(provider=applicant).exists()


@pytest.mark.requirement("R-SEC-2")
def test_verify_identity_moves_to_identity_verified_with_an_event(applicant, vetting_staff):
    complete_documents(applicant, vetting_staff)
    verify_identity(provider=applicant, actor=vetting_staff)
    applicant.refresh_from_db()
    assert applicant.status == ProviderStatus.IDENTITY_VERIFIED
    event = ProviderEvent.objects.get(provider=applicant)
    assert (event.from_status, event.to_status, event.actor) == (
        ProviderStatus.INTERVIEWED,
        ProviderStatus.IDENTITY_VERIFIED,
        vetting_staff,
    )
    assert event.reason == "Identity documents and background certificate checked"


def test_verify_identity_only_after_the_interview(vetting_staff):
    screened = ProviderFactory(status=ProviderStatus.SCREENED, vetting_completed_at=None)
    complete_documents(screened, vetting_staff)
    with pytest.raises(ProviderTransitionError) as refused:
        verify_identity(provider=screened, actor=vetting_staff)
    assert refused.value.messages == [
        "Identity is verified after a passed interview; this provider is screened."
    ]
    screened.refresh_from_db()
    assert screened.status == ProviderStatus.SCREENED


# Reading: the protected view --------------------------------------------------------------------


@pytest.fixture
def jpeg_document(applicant, vetting_staff):
    return upload_document(
        provider=applicant,
        kind=DocumentKind.ID_SCAN,
        uploaded_file=upload("id.jpg", jpeg_bytes(), "image/jpeg"),
        actor=vetting_staff,
    )


def test_anonymous_visitor_is_sent_to_log_in(client, jpeg_document):
    url = reverse("providers:document_file", args=[jpeg_document.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    assert DocumentAccess.objects.count() == 0


@pytest.mark.parametrize("who", ["customer", "owner", "other_provider", "support", "perm_only"])
def test_only_vetting_staff_may_open_documents(client, jpeg_document, support_staff, who):
    if who == "perm_only":  # the permission without the vetting group is not enough
        user = UserFactory(role=Role.OPERATOR, is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename="view_document_file"))
    else:
        user = {
            "customer": lambda: CustomerFactory(),
            "owner": lambda: jpeg_document.provider.user,
            "other_provider": lambda: ProviderFactory().user,
            "support": lambda: support_staff,
        }[who]()
    client.force_login(user)
    response = client.get(reverse("providers:document_file", args=[jpeg_document.pk]))
    assert response.status_code == 403
    assert jpeg_document.file.name.encode() not in response.content
    # Outsiders cannot tell which documents exist either.
    assert client.get(reverse("providers:document_file", args=[999999])).status_code == 403
    with pytest.raises(PermissionDenied):
        read_document(document=jpeg_document, user=user, ip_address="10.0.0.9")
    assert DocumentAccess.objects.count() == 0


def test_vetting_staff_get_the_exact_bytes_and_the_view_is_logged(
    client, jpeg_document, vetting_staff, private_root
):
    expected = crypto.decrypt_bytes((Path(private_root) / jpeg_document.file.name).read_bytes())
    client.force_login(vetting_staff)
    response = client.get(reverse("providers:document_file", args=[jpeg_document.pk]))
    assert response.status_code == 200
    assert response.content == expected
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == f'inline; filename="id_scan-{jpeg_document.pk}.jpg"'
    assert response["Cache-Control"] == "no-store, private"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response
    access = DocumentAccess.objects.get()
    assert (access.document, access.user, access.ip_address) == (
        jpeg_document,
        vetting_staff,
        "127.0.0.1",
    )
    assert access.at == timezone.now()


@pytest.mark.requirement("R-SEC-1")
def test_behind_the_proxy_the_log_records_the_clients_address_not_the_proxys(
    client, jpeg_document, vetting_staff, settings
):
    settings.BEHIND_PROXY = True
    client.force_login(vetting_staff)
    client.get(
        reverse("providers:document_file", args=[jpeg_document.pk]),
        REMOTE_ADDR="10.0.0.2",  # nginx
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7",  # a forged entry, then the proxy's
    )
    assert DocumentAccess.objects.get().ip_address == "203.0.113.7"


def test_pdf_is_served_sandboxed(client, applicant, vetting_staff):
    document = upload_document(
        provider=applicant,
        kind=DocumentKind.CRIMINAL_RECORD,
        uploaded_file=upload("c.pdf", PDF),
        actor=vetting_staff,
        **certificate_dates(),
    )
    client.force_login(vetting_staff)
    response = client.get(reverse("providers:document_file", args=[document.pk]))
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Security-Policy"] == "sandbox"
    assert (
        response["Content-Disposition"] == f'inline; filename="criminal_record-{document.pk}.pdf"'
    )


def test_missing_document_is_404_for_vetting_staff(client, vetting_staff):
    client.force_login(vetting_staff)
    assert client.get(reverse("providers:document_file", args=[999999])).status_code == 404
    assert DocumentAccess.objects.count() == 0


def test_only_get_is_allowed(client, jpeg_document, vetting_staff):
    client.force_login(vetting_staff)
    url = reverse("providers:document_file", args=[jpeg_document.pk])
    assert client.post(url).status_code == 405
    assert DocumentAccess.objects.count() == 0


# The admin --------------------------------------------------------------------------------------


@pytest.fixture
def vetting_client(client, vetting_staff):
    client.force_login(vetting_staff)
    return client


def _assert_no_raw_file_reference(content: bytes, document):
    assert document.file.name.encode() not in content
    assert b"vetting/" not in content
    assert b"/media/" not in content
    assert b"private-media" not in content


def test_admin_pages_link_only_to_the_protected_view(vetting_client, jpeg_document):
    protected = reverse("providers:document_file", args=[jpeg_document.pk]).encode()
    for url in (
        reverse("admin:providers_vettingdocument_changelist"),
        reverse("admin:providers_vettingdocument_change", args=[jpeg_document.pk]),
    ):
        response = vetting_client.get(url)
        assert response.status_code == 200
        assert protected in response.content
        _assert_no_raw_file_reference(response.content, jpeg_document)
    assert DocumentAccess.objects.count() == 0  # listing is not opening
    edit = vetting_client.post(
        reverse("admin:providers_vettingdocument_change", args=[jpeg_document.pk]),
        {"kind": DocumentKind.CRIMINAL_RECORD},
    )
    assert edit.status_code == 403
    jpeg_document.refresh_from_db()
    assert jpeg_document.kind == DocumentKind.ID_SCAN


def test_provider_record_lists_documents_through_the_inline(
    vetting_client, jpeg_document, monkeypatch
):
    provider_admin = admin.site._registry[Provider]
    monkeypatch.setattr(provider_admin, "inlines", [*provider_admin.inlines, VettingDocumentInline])
    response = vetting_client.get(
        reverse("admin:providers_provider_change", args=[jpeg_document.provider_id])
    )
    assert response.status_code == 200
    assert reverse("providers:document_file", args=[jpeg_document.pk]).encode() in response.content
    _assert_no_raw_file_reference(response.content, jpeg_document)


def test_admin_add_page_offers_a_plain_file_upload(vetting_client):
    response = vetting_client.get(reverse("admin:providers_vettingdocument_add"))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.fields) == ["provider", "kind", "upload", "issued_on", "expires_on"]
    assert b'type="file" name="upload"' in response.content


def test_admin_upload_form_saves_through_the_service(vetting_client, applicant, vetting_staff):
    response = vetting_client.post(
        reverse("admin:providers_vettingdocument_add"),
        {
            "provider": applicant.pk,
            "kind": DocumentKind.CRIMINAL_RECORD,
            "issued_on": "2026-03-01",
            "expires_on": "2027-03-01",
            "upload": upload("certificate.pdf", PDF, "application/pdf"),
        },
    )
    document = VettingDocument.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:providers_vettingdocument_changelist")
    assert (document.provider, document.kind, document.uploaded_by) == (
        applicant,
        DocumentKind.CRIMINAL_RECORD,
        vetting_staff,
    )
    assert (document.issued_on, document.expires_on) == (date(2026, 3, 1), date(2027, 3, 1))
    assert read_document(document=document, user=vetting_staff, ip_address=None) == PDF


def test_admin_upload_form_shows_refusals_and_saves_nothing(
    vetting_client, applicant, private_root
):
    response = vetting_client.post(
        reverse("admin:providers_vettingdocument_add"),
        {
            "provider": applicant.pk,
            "kind": DocumentKind.ID_SCAN,
            "upload": upload("holiday.jpg", EXECUTABLE, "image/jpeg"),
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [NOT_ALLOWED]
    assert VettingDocument.objects.count() == 0
    assert stored_files(private_root) == []


def test_admin_action_marks_originals_checked_and_reports_refusals(
    vetting_client, applicant, vetting_staff
):
    fresh = make_document(applicant, DocumentKind.ID_SCAN)
    other_checker = staff_in(StaffGroup.VETTING)
    earlier = make_document(applicant, DocumentKind.IN_PERSON_PHOTO, checked_by=other_checker)
    response = vetting_client.post(
        reverse("admin:providers_vettingdocument_changelist"),
        {"action": "mark_original_checked", "_selected_action": [fresh.pk, earlier.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert "1 marked as checked." in messages
    assert f"{earlier}: This original was already checked on 2026-03-10 09:00." in messages
    fresh.refresh_from_db()
    earlier.refresh_from_db()
    assert fresh.checked_by == vetting_staff
    assert earlier.checked_by == other_checker


def test_admin_lists_filter_by_kind_and_checked(vetting_client, applicant, vetting_staff):
    make_document(applicant, DocumentKind.ID_SCAN, checked_by=vetting_staff)
    make_document(applicant, DocumentKind.IN_PERSON_PHOTO)
    url = reverse("admin:providers_vettingdocument_changelist")
    assert vetting_client.get(url, {"checked": "yes"}).context["cl"].result_count == 1
    assert vetting_client.get(url, {"checked": "no"}).context["cl"].result_count == 1
    by_kind = {"kind__exact": DocumentKind.ID_SCAN}
    assert vetting_client.get(url, by_kind).context["cl"].result_count == 1


@pytest.mark.parametrize("rows", [3, 12])
def test_document_list_query_count_does_not_grow_with_rows(
    vetting_client, vetting_staff, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        provider = ProviderFactory(status=ProviderStatus.INTERVIEWED, vetting_completed_at=None)
        make_document(provider, DocumentKind.ID_SCAN, checked_by=vetting_staff)
    with django_assert_max_num_queries(12):
        response = vetting_client.get(reverse("admin:providers_vettingdocument_changelist"))
    assert response.context["cl"].result_count == rows


def test_access_log_is_read_only_and_filterable_by_user(vetting_client, jpeg_document, operator):
    read_document(document=jpeg_document, user=operator, ip_address="10.0.0.1")
    vetting_user = jpeg_document.uploaded_by
    read_document(document=jpeg_document, user=vetting_user, ip_address="10.0.0.2")
    url = reverse("admin:providers_documentaccess_changelist")
    response = vetting_client.get(url)
    assert response.context["cl"].result_count == 2
    assert vetting_client.get(url, {"user__id__exact": operator.pk}).context["cl"].result_count == 1
    access = DocumentAccess.objects.first()
    assert vetting_client.get(reverse("admin:providers_documentaccess_add")).status_code == 403
    change = vetting_client.post(
        reverse("admin:providers_documentaccess_change", args=[access.pk]),
        {"ip_address": "1.2.3.4"},
    )
    assert change.status_code == 403
    delete = vetting_client.post(
        reverse("admin:providers_documentaccess_delete", args=[access.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert DocumentAccess.objects.count() == 2
    access.refresh_from_db()
    assert access.ip_address == "10.0.0.2"


# The daily certificate check ---------------------------------------------------------------------


def active_with_certificate(actor, *, expires_in_days: int, **provider_fields):
    provider = ProviderFactory(**provider_fields)
    complete_documents(provider, actor, expires_on=TODAY + timedelta(days=expires_in_days))
    return provider


@pytest.mark.requirement("R-SEC-2")
def test_expiry_check_warns_once_suspends_the_expired_and_ignores_applicants(
    vetting_staff, applicant, sms_outbox, django_capture_on_commit_callbacks
):
    Course.objects.create(code="retrain", name="Retraining", is_retraining=True)
    soon = active_with_certificate(vetting_staff, expires_in_days=20, user__full_name="Soon Due")
    later = active_with_certificate(vetting_staff, expires_in_days=31)
    on_probation = active_with_certificate(
        vetting_staff, expires_in_days=30, status=ProviderStatus.PROBATION
    )
    expired = active_with_certificate(vetting_staff, expires_in_days=0)
    without = ProviderFactory()  # no certificate on file at all
    applicant_without = applicant  # an applicant has no certificate yet: not watched
    suspended_already = ProviderFactory(status=ProviderStatus.SUSPENDED)

    with django_capture_on_commit_callbacks(execute=True):
        counts = check_certificate_expiry()

    assert counts == {"warned": 2, "suspended": 2}
    statuses = dict(Provider.objects.values_list("pk", "status"))
    assert statuses[soon.pk] == ProviderStatus.ACTIVE
    assert statuses[later.pk] == ProviderStatus.ACTIVE
    assert statuses[on_probation.pk] == ProviderStatus.PROBATION
    assert statuses[expired.pk] == ProviderStatus.SUSPENDED
    assert statuses[without.pk] == ProviderStatus.SUSPENDED
    assert statuses[applicant_without.pk] == ProviderStatus.INTERVIEWED
    assert statuses[suspended_already.pk] == ProviderStatus.SUSPENDED
    warned = set(
        Provider.objects.filter(certificate_warning_sent_at=timezone.now()).values_list(
            "pk", flat=True
        )
    )
    assert warned == {soon.pk, on_probation.pk}
    expired_event = ProviderEvent.objects.get(provider=expired)
    assert (expired_event.from_status, expired_event.to_status, expired_event.actor) == (
        ProviderStatus.ACTIVE,
        ProviderStatus.SUSPENDED,
        None,
    )
    assert expired_event.reason == "The certificate of no criminal record has expired."
    assert (
        ProviderEvent.objects.get(provider=without).reason
        == "No checked certificate of no criminal record is on file."
    )
    assert Enrollment.objects.count() == 0  # suspended for paperwork, not for retraining
    warnings = [sms for sms in sms_outbox if "expires on" in sms["text"]]
    assert warnings == [
        {
            "to": str(soon.user.phone),
            "text": "Your certificate of no criminal record expires on 2026-03-30, in 20 days. "
            "Bring a new certificate to our office so you can keep working.",
        },
        {
            "to": str(on_probation.user.phone),
            "text": "Your certificate of no criminal record expires on 2026-04-09, in 30 days. "
            "Bring a new certificate to our office so you can keep working.",
        },
    ]
    sent = len(sms_outbox)

    with django_capture_on_commit_callbacks(execute=True):
        assert check_certificate_expiry() == {"warned": 0, "suspended": 0}
    assert len(sms_outbox) == sent
    assert ProviderEvent.objects.filter(to_status=ProviderStatus.SUSPENDED).count() == 2


def test_a_new_certificate_is_warned_about_again_when_it_too_runs_out(
    vetting_staff, time_machine, sms_outbox, django_capture_on_commit_callbacks
):
    provider = active_with_certificate(vetting_staff, expires_in_days=10)
    with django_capture_on_commit_callbacks(execute=True):
        assert check_certificate_expiry() == {"warned": 1, "suspended": 0}
    # Two days later a renewed certificate, valid for 20 more days, is checked.
    time_machine.move_to(timezone.make_aware(NOW + timedelta(days=2)), tick=False)
    make_document(
        provider,
        DocumentKind.CRIMINAL_RECORD,
        checked_by=vetting_staff,
        issued_on=TODAY,
        expires_on=TODAY + timedelta(days=22),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert check_certificate_expiry() == {"warned": 1, "suspended": 0}
        assert check_certificate_expiry() == {"warned": 0, "suspended": 0}
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.ACTIVE
    assert provider.certificate_warning_sent_at == timezone.now()
    assert [sms["text"][:67] for sms in sms_outbox] == [
        "Your certificate of no criminal record expires on 2026-03-20, in 10",
        "Your certificate of no criminal record expires on 2026-04-01, in 20",
    ]


def test_expiry_task_runs_the_check_daily(vetting_staff):
    active_with_certificate(vetting_staff, expires_in_days=-1)
    assert check_certificate_expiry_task.delay().get() == {"warned": 0, "suspended": 1}
    entry = celery_app.conf.beat_schedule["check-certificate-expiry"]
    assert entry["task"] == "providers.tasks.check_certificate_expiry_task"
    assert entry["schedule"].hour == {6} and entry["schedule"].minute == {0}


# Key rotation ------------------------------------------------------------------------------------


def test_reencrypt_command_moves_everything_to_the_newest_key(
    settings, applicant, vetting_staff, private_root, django_capture_on_commit_callbacks
):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    crypto._fernet.cache_clear()
    Provider.objects.filter(pk=applicant.pk).update(national_id="0012345678")
    document = upload_document(
        provider=applicant,
        kind=DocumentKind.CRIMINAL_RECORD,
        uploaded_file=upload("c.pdf", PDF),
        actor=vetting_staff,
        **certificate_dates(),
    )
    old_path = Path(private_root) / document.file.name

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    crypto._fernet.cache_clear()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reencrypt_sensitive_data", "--batch-size", "1", "-v", "2", stdout=out)
    lines = out.getvalue().strip().splitlines()
    # Every encrypted field is walked (tests/core/test_data_at_rest.py checks them all).
    assert "providers.Provider.national_id: 1 re-encrypted, 0 already current." in lines
    assert lines[-1].startswith("Documents: 1 re-encrypted, 0 already current. Fields: ")

    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is gone
    crypto._fernet.cache_clear()
    document.refresh_from_db()
    assert not old_path.exists()
    assert stored_files(private_root) == [Path(private_root) / document.file.name]
    assert read_document(document=document, user=vetting_staff, ip_address=None) == PDF
    assert Provider.objects.get(pk=applicant.pk).national_id == "0012345678"
    raw_id = Provider.objects.raw(
        "SELECT id, national_id AS token FROM providers_provider WHERE id = %s", [applicant.pk]
    )[0].token
    assert Fernet(new.encode()).decrypt(raw_id.encode()) == b"0012345678"

    again = StringIO()
    call_command("reencrypt_sensitive_data", stdout=again)
    current = "Documents: 0 re-encrypted, 1 already current. Fields: 0 re-encrypted, "
    assert again.getvalue().startswith(current)
    crypto._fernet.cache_clear()


# The settings check ------------------------------------------------------------------------------


def test_system_check_refuses_private_files_under_a_served_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    assert private_media_is_not_served(None) == []
    assert not [e for e in run_checks() if e.id.startswith("providers.")]

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "media" / "vetting"
    errors = [e for e in run_checks() if e.id.startswith("providers.")]
    assert [e.id for e in errors] == ["providers.E002"]
    assert "MEDIA_ROOT" in errors[0].msg

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "static"
    assert [e.id for e in private_media_is_not_served(None)] == ["providers.E002"]

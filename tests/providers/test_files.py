"""Uploads checked by content, photos without metadata, private files owner-only (R-SEC-6)."""

import os
import re
import stat
from io import BytesIO
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from accounts.groups import sync_staff_groups
from accounts.models import Role, StaffGroup
from core import crypto
from providers.models import DocumentKind, Provider, ProviderStatus, VettingDocument
from providers.services.application import prepare_photo
from providers.services.documents import DocumentError, read_document, upload_document
from tests.factories import ProviderFactory, UserFactory
from tests.providers import file_factories as files

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-SEC-6")]

SCRIPTS = (
    "This PDF contains scripts or launch actions, which are not accepted. "
    "Print it to a new PDF or scan the paper document instead."
)
EMBEDDED = (
    "This PDF carries attached or embedded files, which are not accepted. "
    "Print it to a new PDF or scan the paper document instead."
)
ENCRYPTED = (
    "This PDF is encrypted or protected by a password, which is not accepted. "
    "Save or print an unprotected copy and upload that."
)
DAMAGED = "This PDF is damaged and cannot be read."
# What the byte scan looked for before PDFs were parsed.
OLD_BYTE_SCAN = re.compile(rb"/(JavaScript|JS|Launch)(?![A-Za-z0-9])")


@pytest.fixture(autouse=True)
def roots(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings


def stored_files(root) -> list[Path]:
    return [path for path in Path(root).rglob("*") if path.is_file()]


@pytest.fixture
def vetting_staff(db):
    sync_staff_groups()
    user = UserFactory(role=Role.OPERATOR, is_staff=True)
    user.groups.add(Group.objects.get(name=StaffGroup.VETTING))
    return user


@pytest.fixture
def applicant(db):
    return ProviderFactory(status=ProviderStatus.INTERVIEWED, vetting_completed_at=None)


def upload_pdf(provider, actor, content: bytes) -> VettingDocument:
    return upload_document(
        provider=provider,
        kind=DocumentKind.ID_SCAN,
        uploaded_file=SimpleUploadedFile("scan.pdf", content, "application/pdf"),
        actor=actor,
    )


def assert_refused(provider, actor, content: bytes, message: str, settings) -> None:
    with pytest.raises(DocumentError) as refused:
        upload_pdf(provider, actor, content)
    assert refused.value.messages == [message]
    assert VettingDocument.objects.count() == 0
    assert stored_files(settings.PRIVATE_MEDIA_ROOT) == []


# PDFs ------------------------------------------------------------------------------------------


def test_javascript_hidden_in_a_compressed_object_stream_is_refused(
    applicant, vetting_staff, roots
):
    content = files.pdf_with_javascript_in_object_stream()
    # Nothing of the script shows in the bytes: the old byte scan let it through.
    assert not OLD_BYTE_SCAN.search(content)
    assert b"app.launchURL" not in content
    assert_refused(applicant, vetting_staff, content, SCRIPTS, roots)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: files.pdf_with_open_action(files.javascript_action()), SCRIPTS),
        (lambda: files.pdf_with_open_action(files.launch_action()), SCRIPTS),
        (files.pdf_with_page_additional_action, SCRIPTS),
        (files.pdf_with_javascript_name_tree, SCRIPTS),
        # "/Lau#6Ech" in an object stream, and no other object refers to the action.
        (files.pdf_with_escaped_launch_in_object_stream, SCRIPTS),
        (files.pdf_with_embedded_file, EMBEDDED),
        (files.pdf_with_file_attachment_annotation, EMBEDDED),
        (files.pdf_with_embedded_file_in_object_stream, EMBEDDED),
    ],
    ids=[
        "open-action-javascript",
        "open-action-launch",
        "page-additional-action",
        "javascript-name-tree",
        "escaped-launch-in-object-stream",
        "embedded-file",
        "file-attachment-annotation",
        "embedded-file-in-object-stream",
    ],
)
def test_pdf_with_scripts_launch_actions_or_embedded_files_is_refused_and_nothing_saved(
    applicant, vetting_staff, roots, build, message
):
    assert_refused(applicant, vetting_staff, build(), message, roots)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (files.encrypted_pdf, ENCRYPTED),
        (lambda: b"%PDF-1.7\nthese bytes are no PDF at all\n%%EOF\n", DAMAGED),
        (lambda: b"%PDF-1.4\n1 0 obj\n" + b"[" * 50_000 + b"\n%%EOF\n", DAMAGED),
        (files.pdf_without_pages, DAMAGED),
    ],
    ids=["encrypted", "not-a-pdf", "nested-too-deep", "no-pages"],
)
def test_encrypted_or_unreadable_pdf_is_refused(applicant, vetting_staff, roots, build, message):
    assert_refused(applicant, vetting_staff, build(), message, roots)


def _weasyprint_pdf() -> bytes:
    import weasyprint  # slow to import: only this case needs it

    return weasyprint.HTML(string="<h1>Certificate</h1><p>No record found.</p>").write_pdf()


def _scanned_pdf() -> bytes:
    out = BytesIO()
    Image.new("RGB", (300, 400), (250, 250, 240)).save(out, format="PDF")
    return out.getvalue()


@pytest.mark.parametrize(
    "build",
    [
        files.pdf_bytes,
        lambda: files.pdf_in_object_stream(files.CATALOG, files.PAGES, files.PAGE),
        _weasyprint_pdf,
        _scanned_pdf,
    ],
    ids=["pypdf", "object-streams", "weasyprint", "scan-from-pillow"],
)
def test_ordinary_pdfs_are_accepted_and_stored_unchanged(applicant, vetting_staff, build):
    """The control: the parser must not refuse what scanners and PDF printers make."""
    content = build()
    document = upload_pdf(applicant, vetting_staff, content)
    assert read_document(document=document, user=vetting_staff, ip_address=None) == content


def test_admin_upload_form_refuses_a_hidden_script_with_its_message(
    client, applicant, vetting_staff, roots
):
    client.force_login(vetting_staff)
    response = client.post(
        reverse("admin:providers_vettingdocument_add"),
        {
            "provider": applicant.pk,
            "kind": DocumentKind.ID_SCAN,
            "upload": SimpleUploadedFile(
                "scan.pdf", files.pdf_with_javascript_in_object_stream(), "application/pdf"
            ),
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [SCRIPTS]
    assert VettingDocument.objects.count() == 0
    assert stored_files(roots.PRIVATE_MEDIA_ROOT) == []


# Photos ----------------------------------------------------------------------------------------

SECRETS = (b"SpyCam", b"35.6892N", b"Exif")


def assert_clean_and_upright(data: bytes) -> None:
    for secret in SECRETS:
        assert secret not in data
    with Image.open(BytesIO(data)) as image:
        image.load()  # it still displays
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert not {"exif", "comment", "icc_profile", "xmp"} & set(image.info)
        # Turned upright before the orientation tag went: 30 wide, 60 high, the blue corner
        # (top left as stored) now at the top right.
        assert image.size == (30, 60)
        red, _green, blue = image.convert("RGB").getpixel((26, 3))
        assert blue > 150 > red
        red, _green, blue = image.convert("RGB").getpixel((3, 3))
        assert red > 150 > blue


def test_applicant_photo_for_the_public_loses_gps_exif_and_comment_and_is_upright():
    original = files.jpeg_with_gps()
    with Image.open(BytesIO(original)) as image:
        assert image.getexif().get_ifd(0x8825)  # the GPS block
        assert image.info["comment"] == b"home: 35.6892N 51.3890E"
        assert image.size == (60, 30)
    photo = prepare_photo(SimpleUploadedFile("me.jpg", original, "image/jpeg"))
    assert_clean_and_upright(photo.read())


def test_vetting_photo_loses_gps_exif_and_is_upright(applicant, vetting_staff):
    document = upload_document(
        provider=applicant,
        kind=DocumentKind.IN_PERSON_PHOTO,
        uploaded_file=SimpleUploadedFile("me.jpg", files.jpeg_with_gps(), "image/jpeg"),
        actor=vetting_staff,
    )
    assert_clean_and_upright(read_document(document=document, user=vetting_staff, ip_address=None))


def _admin_photo_form(provider: Provider, photo: bytes):
    superuser = UserFactory(role=Role.OPERATOR, is_staff=True, is_superuser=True)
    request = RequestFactory().post("/")
    request.user = superuser
    model_admin = admin.site._registry[Provider]
    form_class = model_admin.get_form(request, provider, change=True, fields=["photo"])
    return form_class(
        data={},
        files={"photo": SimpleUploadedFile("me.jpg", photo, "image/jpeg")},
        instance=provider,
    )


def test_photo_uploaded_on_the_providers_admin_record_is_cleaned_like_the_applicants(roots):
    provider = ProviderFactory()
    form = _admin_photo_form(provider, files.jpeg_with_gps())
    assert form.is_valid(), form.errors
    form.save()
    provider.refresh_from_db()
    assert provider.photo.name.startswith("provider-photos/")
    [stored] = stored_files(roots.MEDIA_ROOT)
    assert stored == Path(roots.MEDIA_ROOT) / provider.photo.name
    assert_clean_and_upright(stored.read_bytes())


def test_photo_uploaded_on_the_providers_admin_record_keeps_the_pixel_limit(roots):
    roots.UPLOAD_MAX_PIXELS = 1_000  # the photo has 1,800
    provider = ProviderFactory()
    form = _admin_photo_form(provider, files.jpeg_with_gps())
    assert not form.is_valid()
    assert form.errors["photo"] == ["The photo has too many pixels. Send a smaller picture."]
    provider.refresh_from_db()
    assert not provider.photo
    assert stored_files(roots.MEDIA_ROOT) == []


# Private storage -------------------------------------------------------------------------------


def test_private_files_are_written_owner_only(applicant, vetting_staff, roots):
    document = upload_pdf(applicant, vetting_staff, files.pdf_bytes())
    root = Path(roots.PRIVATE_MEDIA_ROOT)
    path = root / document.file.name
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # Every folder the storage made on the way, the root included (it did not exist).
    folder = path.parent
    while True:
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
        if folder == root:
            break
        folder = folder.parent
    assert crypto.decrypt_bytes(path.read_bytes()) == files.pdf_bytes()

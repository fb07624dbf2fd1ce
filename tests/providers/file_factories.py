"""Files for the upload tests (R-SEC-6): real PDFs, hostile PDFs, photos with EXIF.

Hostile PDFs are built with pypdf where it can write them, and by hand where it cannot: pypdf
writes no object streams, so `pdf_in_object_stream` packs the objects into a compressed
object stream found through a compressed cross-reference stream (PDF 1.5), where no name of
theirs shows in the file's bytes.
"""

import io
import struct
import zlib

from PIL import ExifTags, Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

# PDFs ------------------------------------------------------------------------------------------


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _one_page() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    return writer


def pdf_bytes() -> bytes:
    """A plain one-page PDF, as pypdf writes it."""
    return _written(_one_page())


def _action(**entries) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject(f"/{key}"): NameObject(value) if value.startswith("/") else value
            for key, value in entries.items()
        }
    )


def pdf_with_open_action(action: DictionaryObject) -> bytes:
    writer = _one_page()
    writer.root_object[NameObject("/OpenAction")] = action
    return _written(writer)


def javascript_action() -> DictionaryObject:
    return _action(S="/JavaScript", JS=TextStringObject("app.alert(1)"))


def launch_action() -> DictionaryObject:
    return _action(S="/Launch", F=TextStringObject("calc.exe"))


def pdf_with_page_additional_action() -> bytes:
    """JavaScript run when the first page opens (the page's /AA, /O entry)."""
    writer = _one_page()
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): javascript_action()})
    return _written(writer)


def pdf_with_javascript_name_tree() -> bytes:
    """Document-level JavaScript: the catalog's /Names /JavaScript tree."""
    writer = _one_page()
    tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("init"), javascript_action()])}
    )
    writer.root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})
    return _written(writer)


def pdf_with_embedded_file() -> bytes:
    """A file in the catalog's /Names /EmbeddedFiles tree."""
    writer = _one_page()
    writer.add_attachment("invoice.exe", b"MZ\x90\x00 not really a program")
    return _written(writer)


def pdf_with_file_attachment_annotation() -> bytes:
    """A paper-clip annotation on the page carrying a file."""
    writer = _one_page()
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (10, 10, 30, 30)]),
            NameObject("/FS"): DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Filespec"),
                    NameObject("/F"): TextStringObject("notes.txt"),
                }
            ),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([annotation])
    return _written(writer)


def encrypted_pdf() -> bytes:
    """Encrypted with an empty user password: any viewer opens it without asking."""
    writer = _one_page()
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="RC4-128")
    return _written(writer)


def pdf_without_pages() -> bytes:
    return _written(PdfWriter())


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"


def pdf_in_object_stream(*objects: bytes) -> bytes:
    """A PDF 1.5 whose objects 1..n all sit in one compressed object stream.

    Object 1 must be the catalog. Objects n + 1 (the object stream) and n + 2 (the compressed
    cross-reference stream) are the only ones written in the open, and neither shows a name
    of the objects inside.
    """
    count = len(objects)
    stream_number, xref_number = count + 1, count + 2
    offsets, body = [], b""
    for number, text in enumerate(objects, start=1):
        offsets.append(f"{number} {len(body)}")
        body += text + b"\n"
    head = " ".join(offsets).encode() + b"\n"
    packed = zlib.compress(head + body)
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    stream_offset = len(out)
    out += (
        f"{stream_number} 0 obj\n<< /Type /ObjStm /N {count} /First {len(head)} "
        f"/Filter /FlateDecode /Length {len(packed)} >>\nstream\n"
    ).encode()
    out += packed + b"\nendstream\nendobj\n"
    xref_offset = len(out)
    rows = [struct.pack(">BIH", 0, 0, 0xFFFF)]
    rows += [struct.pack(">BIH", 2, stream_number, index) for index in range(count)]
    rows += [struct.pack(">BIH", 1, stream_offset, 0), struct.pack(">BIH", 1, xref_offset, 0)]
    table = zlib.compress(b"".join(rows))
    out += (
        f"{xref_number} 0 obj\n<< /Type /XRef /Size {count + 3} /W [1 4 2] /Root 1 0 R "
        f"/Filter /FlateDecode /Length {len(table)} >>\nstream\n"
    ).encode()
    out += table + b"\nendstream\nendobj\n"
    out += f"startxref\n{xref_offset}\n%%EOF\n".encode()
    return bytes(out)


def pdf_with_javascript_in_object_stream() -> bytes:
    """An /OpenAction running JavaScript, compressed away inside an object stream."""
    return pdf_in_object_stream(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        PAGES,
        PAGE,
        b"<< /S /JavaScript /JS (app.launchURL\\('https://evil.example/'\\)) >>",
    )


def pdf_with_escaped_launch_in_object_stream() -> bytes:
    """/Launch spelled /Lau#6Ech, inside an object stream that nothing refers to either."""
    return pdf_in_object_stream(
        CATALOG,
        PAGES,
        PAGE,
        b"<< /Type /Action /S /Lau#6Ech /F (cmd.exe) >>",
    )


def pdf_with_embedded_file_in_object_stream() -> bytes:
    return pdf_in_object_stream(
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 4 0 R >> >>",
        PAGES,
        PAGE,
        b"<< /Names [(a.exe) << /Type /Filespec /F (a.exe) /EF << /F 5 0 R >> >>] >>",
        b"<< /Type /EmbeddedFile >>",  # (a real one is a stream, kept outside object streams)
    )


# Photos ----------------------------------------------------------------------------------------

TEHRAN_GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (35.0, 41.0, 21.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (51.0, 23.0, 20.0),
}
ORIENTATION = 0x0112
MAKE = 0x010F


def jpeg_with_gps(size=(60, 30), *, orientation: int = 6, comment=b"home: 35.6892N 51.3890E"):
    """A JPEG with GPS EXIF, a camera make, a comment, and an orientation tag.

    Orientation 6 means "rotate 90 degrees clockwise to view": shown upright, the picture is
    30 wide and 60 high. The top left 10 x 10 pixels of the stored picture are blue, the rest
    red: shown upright, the blue corner is at the top right.
    """
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((0, 0, 255), (0, 0, 10, 10))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "SpyCam 3000"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(TEHRAN_GPS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95, exif=exif.tobytes(), comment=comment)
    return out.getvalue()

"""What a CV file is and the name it may carry (candidates.documents): pure, no database."""

import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candidates.documents import DOCX, PDF, CVKind, cv_filename, cv_kind

PDF_KIND = CVKind(PDF, "pdf")


def _zip(names) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"")
    buffer.seek(0)
    return buffer


def test_a_pdf_is_known_by_its_magic_number():
    assert cv_kind(io.BytesIO(b"%PDF-1.7\n...")) == PDF_KIND


def test_a_docx_is_a_zip_with_a_word_document():
    assert cv_kind(_zip(["[Content_Types].xml", "word/document.xml"])).content_type == DOCX


@pytest.mark.parametrize(
    "content",
    [b"", b"%PD", b"GIF89a", b"<html>", b"PK\x03\x04broken"],
)
def test_anything_else_is_refused(content):
    assert cv_kind(io.BytesIO(content)) is None


def test_a_zip_without_a_word_document_is_refused():
    assert cv_kind(_zip(["xl/workbook.xml"])) is None


def test_sniffing_leaves_the_file_at_its_start():
    file = io.BytesIO(b"%PDF-1.4 rest")
    cv_kind(file)
    assert file.tell() == 0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Jane Doe CV.pdf", "Jane Doe CV.pdf"),
        ("C:\\Users\\jane\\cv.PDF", "cv.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("résumé.pdf", "resume.pdf"),
        ('a"\r\nSet-Cookie: x.pdf', "a_Set-Cookie_ x.pdf"),
        ("", "cv.pdf"),
        ("....pdf", "cv.pdf"),
        ("cv.exe", "cv.pdf"),
    ],
)
def test_file_names_are_sanitised(name, expected):
    assert cv_filename(name, PDF_KIND) == expected


@given(st.text(max_size=500))
def test_any_name_becomes_a_short_safe_name_with_the_real_extension(name):
    safe = cv_filename(name, PDF_KIND)
    assert len(safe) <= 100
    assert safe.endswith(".pdf")
    assert all(ch.isascii() and (ch.isalnum() or ch in "._ ()-") for ch in safe)
    assert not safe.startswith(".")

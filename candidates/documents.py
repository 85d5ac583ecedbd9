"""CV files: what a file really is and the name it may carry. Pure: no ORM, no storage.

The type comes from the file's own bytes (its magic number, and for DOCX the parts inside the
zip), never from the name or the browser's Content-Type header, which the uploader controls.
"""

import re
import unicodedata
import zipfile
from typing import BinaryIO, NamedTuple

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: A DOCX is a zip holding this part (a plain zip, an XLSX or a JAR does not).
_DOCX_PART = "word/document.xml"
#: The most zip entries a DOCX is read with: a zip bomb's directory is refused, not walked.
_MAX_ZIP_ENTRIES = 2000
_MAX_NAME = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()-]+")


class CVKind(NamedTuple):
    content_type: str
    extension: str


def cv_kind(file: BinaryIO) -> CVKind | None:
    """PDF or DOCX by content, or None. Reads the head, and a DOCX's zip directory."""
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if head.startswith(b"%PDF-"):
        return CVKind(PDF, "pdf")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(file) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return None
        finally:
            file.seek(0)
        if len(names) <= _MAX_ZIP_ENTRIES and _DOCX_PART in names:
            return CVKind(DOCX, "docx")
    return None


def cv_filename(name: str, kind: CVKind) -> str:
    """A name safe in a header, a file system and a zip: the base name's letters, digits and
    a few marks, at most 100 characters, always with the extension of the real type."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _UNSAFE.sub("_", stem).strip(" ._")[: _MAX_NAME - len(kind.extension) - 1]
    return f"{stem or 'cv'}.{kind.extension}"

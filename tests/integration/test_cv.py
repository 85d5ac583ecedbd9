"""A CV on the application (issue #15): upload, download, audit, export, erasure."""

import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from candidates.documents import DOCX, PDF
from candidates.models import ApplicationCV
from privacy.services import candidate_erase, candidate_export
from tests.factories import (
    PDF_BYTES,
    ApplicationFactory,
    RequisitionFactory,
    UserFactory,
    application_cv,
)


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def world():
    manager = UserFactory(hiring_manager=True)
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter])
    return {
        "manager": manager,
        "recruiter": recruiter,
        "app": ApplicationFactory(requisition=requisition),
        "admin": UserFactory(admin=True),
    }


def upload(client, user, application, name, content, content_type="application/pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(user)
    return client.post(
        reverse("candidates:cv_upload", args=[application.pk]),
        {"cv": SimpleUploadedFile(name, content, content_type=content_type)},
    )


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [("Jane Doe CV.pdf", PDF_BYTES, PDF), ("cv.docx", docx_bytes(), DOCX)],
)
def test_a_recruiter_uploads_a_pdf_or_docx_cv_and_it_is_listed(client, world, name, content, kind):
    response = upload(client, world["recruiter"], world["app"], name, content)
    assert response.status_code == 302
    cv = ApplicationCV.objects.get()
    assert cv.content_type == kind
    assert cv.size == len(content)
    assert cv.filename == name
    assert name not in cv.file.name  # stored under a random name
    page = client.get(reverse("candidates:application_detail", args=[world["app"].pk]))
    assert reverse("candidates:cv_download", args=[world["app"].pk, cv.pk]) in page.text
    assert name in page.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.CV_UPLOADED)
    assert event.actor == world["recruiter"]
    assert name not in json.dumps(event.details)


def test_the_type_comes_from_the_bytes_not_the_name_or_header(client, world):
    response = upload(
        client, world["recruiter"], world["app"], "cv.pdf", b"<html><script>x</script>"
    )
    assert response.status_code == 400
    assert "PDF or a Word (.docx)" in response.content.decode()
    assert not ApplicationCV.objects.exists()


def test_a_pdf_named_exe_is_stored_as_a_pdf(client, world):
    upload(client, world["recruiter"], world["app"], "../../etc/pass wd.exe", PDF_BYTES)
    assert ApplicationCV.objects.get().filename == "pass wd.pdf"


def test_a_cv_over_the_size_cap_is_refused(client, world, settings):
    settings.CV_MAX_BYTES = 1000
    response = upload(client, world["recruiter"], world["app"], "cv.pdf", PDF_BYTES + b"0" * 2000)
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert not ApplicationCV.objects.exists()


def test_the_download_is_an_attachment_with_nosniff_and_is_audited(client, world):
    upload(client, world["recruiter"], world["app"], "cv.pdf", PDF_BYTES)
    cv = ApplicationCV.objects.get()
    client.force_login(world["manager"])
    response = client.get(reverse("candidates:cv_download", args=[world["app"].pk, cv.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == PDF
    event = AuditEvent.objects.get(action=AuditAction.CV_DOWNLOADED)
    assert event.actor == world["manager"]


def test_the_export_carries_the_cv(client, world):
    upload(client, world["recruiter"], world["app"], "cv.pdf", PDF_BYTES)
    candidate = world["app"].candidate
    archive = zipfile.ZipFile(io.BytesIO(candidate_export(candidate=candidate, actor=None)))
    data = json.loads(archive.read("candidate.json"))
    [entry] = data["cvs"]
    assert entry["filename"] == "cv.pdf"
    assert archive.read(entry["archive_path"]) == PDF_BYTES


def test_an_export_by_another_team_leaves_the_cv_out(client, world):
    upload(client, world["recruiter"], world["app"], "cv.pdf", PDF_BYTES)
    outsider = UserFactory(recruiter=True)
    ApplicationFactory(
        candidate=world["app"].candidate, requisition=RequisitionFactory(recruiters=[outsider])
    )
    data = candidate_export(candidate=world["app"].candidate, actor=outsider)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert json.loads(archive.read("candidate.json"))["cvs"] == []
    assert not [n for n in archive.namelist() if n.startswith("cvs/")]


def test_the_erasure_deletes_the_cv_and_its_file(world, django_capture_on_commit_callbacks):
    cv = application_cv(world["app"])
    stored = cv.file.name
    assert default_storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        candidate_erase(candidate=world["app"].candidate, actor=world["admin"], reason="request")
    assert not ApplicationCV.objects.exists()
    assert not default_storage.exists(stored)

"""CVs (issue #15) under attack: another team's ids, forged types, zip tricks, huge bodies."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from candidates.models import ApplicationCV
from tests.factories import ApplicationFactory, RequisitionFactory, UserFactory, application_cv


@pytest.fixture
def world():
    manager = UserFactory(hiring_manager=True)
    own = ApplicationFactory(requisition=RequisitionFactory(hiring_manager=manager))
    foreign = ApplicationFactory(requisition=RequisitionFactory())
    return {
        "manager": manager,
        "own": own,
        "foreign": foreign,
        "foreign_cv": application_cv(foreign),
    }


def test_another_teams_cv_is_not_found_even_through_an_own_application_id(client, world):
    client.force_login(world["manager"])
    cv = world["foreign_cv"]
    for app_pk in (world["foreign"].pk, world["own"].pk):
        response = client.get(reverse("candidates:cv_download", args=[app_pk, cv.pk]))
        assert response.status_code == 404


def test_uploading_to_another_teams_application_is_not_found(client, world):
    client.force_login(world["manager"])
    response = client.post(
        reverse("candidates:cv_upload", args=[world["foreign"].pk]),
        {"cv": SimpleUploadedFile("cv.pdf", b"%PDF-1.4\n", content_type="application/pdf")},
    )
    assert response.status_code == 404
    assert ApplicationCV.objects.count() == 1  # only the fixture's


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        b"",  # empty
        b"MZ\x90\x00" + b"\x00" * 100,  # a Windows executable
        b"PK\x03\x04" + b"\x00" * 100,  # a broken zip
        _zip({"xl/workbook.xml": b"<x/>"}),  # a zip, but not a Word document
        _zip({f"f{i}": b"" for i in range(2500)} | {"word/document.xml": b""}),  # zip bomb-ish
        b"\x00" * 64,
        b"<svg onload=alert(1)>",
    ],
    ids=["empty", "exe", "broken-zip", "xlsx", "many-entries", "nul", "svg"],
)
def test_malformed_uploads_are_a_clear_400_and_store_nothing(client, world, content):
    client.force_login(world["manager"])
    response = client.post(
        reverse("candidates:cv_upload", args=[world["own"].pk]),
        {"cv": SimpleUploadedFile("cv.pdf", content, content_type="application/pdf")},
    )
    assert response.status_code == 400
    assert not ApplicationCV.objects.filter(application=world["own"]).exists()


def test_a_huge_body_is_refused_from_its_declared_length_without_reading_it(client, world):
    client.force_login(world["manager"])
    response = client.generic(
        "POST",
        reverse("candidates:cv_upload", args=[world["own"].pk]),
        data=b"x" * 10,
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(500 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "larger than" in response.content.decode()


def test_a_huge_body_to_another_teams_application_is_still_a_404(client, world):
    client.force_login(world["manager"])
    response = client.generic(
        "POST",
        reverse("candidates:cv_upload", args=[world["foreign"].pk]),
        data=b"x",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(500 * 1024 * 1024),
    )
    assert response.status_code == 404


def test_an_upload_without_the_csrf_token_is_refused(world):
    from tests.clients import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world["manager"])
    response = client.post(
        reverse("candidates:cv_upload", args=[world["own"].pk]),
        {"cv": SimpleUploadedFile("cv.pdf", b"%PDF-1.4\n", content_type="application/pdf")},
    )
    assert response.status_code == 403
    assert not ApplicationCV.objects.filter(application=world["own"]).exists()


def test_a_nonsense_content_length_is_a_400(client, world):
    client.force_login(world["manager"])
    response = client.generic(
        "POST",
        reverse("candidates:cv_upload", args=[world["own"].pk]),
        data=b"",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH="lots",
    )
    assert response.status_code == 400


def test_a_file_name_cannot_inject_headers_or_paths(client, world):
    client.force_login(world["manager"])
    name = 'a"\r\nSet-Cookie: x=1;../../évil<script>.pdf'
    client.post(
        reverse("candidates:cv_upload", args=[world["own"].pk]),
        {"cv": SimpleUploadedFile(name, b"%PDF-1.4\n", content_type="text/html")},
    )
    cv = ApplicationCV.objects.get(application=world["own"])
    assert "\r" not in cv.filename
    assert "\n" not in cv.filename
    assert "/" not in cv.filename
    assert "<" not in cv.filename
    assert cv.filename.endswith(".pdf")
    response = client.get(reverse("candidates:cv_download", args=[world["own"].pk, cv.pk]))
    assert "Set-Cookie" not in response
    assert response["Content-Type"] == "application/pdf"

"""Idempotent contact creation under real concurrency: 20 threads, each its own PostgreSQL
connection, post the same contact through the whole HTTP stack at the same moment."""

import datetime as dt
import json
import threading

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connections, transaction
from django.urls import reverse
from django.utils import timezone

from api.models import ApiContactKey
from api.services import api_token_create
from audit.models import AuditAction, AuditEvent
from followups.models import Contact
from tests.clients import Client
from tests.factories import ApplicationFactory, RequisitionFactory, UserFactory

POSTS = 20


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_identical_posts_store_one_contact():
    cache.clear()
    recruiter = UserFactory(recruiter=True)
    application = ApplicationFactory(requisition=RequisitionFactory(recruiters=[recruiter]))
    _token, secret = api_token_create(user=recruiter, name="sync")
    url = reverse("api:contact_create", kwargs={"pk": application.pk})
    body = json.dumps(
        {
            "external_id": "crm-call-42",
            "channel": "phone",
            "direction": "inbound",
            "occurred_at": (timezone.now() - dt.timedelta(minutes=5)).isoformat(),
            "summary": "Checked in about next steps",
        }
    )
    barrier, results = threading.Barrier(POSTS), []

    def post():
        try:
            client = Client()
            barrier.wait(timeout=30)
            response = client.post(
                url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
            )
            results.append((response.status_code, response.json().get("id")))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(POSTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(results) == POSTS
    statuses = sorted(status for status, _id in results)
    assert statuses == [200] * (POSTS - 1) + [201], statuses
    contact = Contact.objects.get()
    assert {contact_id for _status, contact_id in results} == {contact.pk}
    assert ApiContactKey.objects.get().contact_id == contact.pk
    assert AuditEvent.objects.filter(action=AuditAction.API_WRITE).count() == 1


def test_the_database_refuses_a_second_key_for_the_same_user_and_external_id():
    user = UserFactory(recruiter=True)
    ApiContactKey.objects.create(user=user, external_id="x", request_hash="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiContactKey.objects.create(user=user, external_id="x", request_hash="a")
    # Another user's key may be the same string.
    ApiContactKey.objects.create(user=UserFactory(), external_id="x", request_hash="a")

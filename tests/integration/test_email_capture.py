"""Email capture through the one ingest service: matching, dedupe, classification, pages."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import IntegrityError, connections
from django.urls import reverse
from django.utils import timezone

from followups.email_parsing import NotAnEmail
from followups.models import (
    Contact,
    ContactSource,
    Direction,
    InboundMessage,
    MatchStatus,
    ReplyToken,
)
from followups.rules import contact_is_persistence
from followups.services import (
    applications_for_candidates,
    candidate_email_deliver,
    email_ingest,
    email_send,
)
from hiring.models import SilenceOutcome
from silence.services import silence_tests_sweep
from tests.emails import make_email
from tests.factories import (
    ApplicationFactory,
    CandidateEmailFactory,
    CandidateFactory,
    RequisitionFactory,
    SilenceTestFactory,
    UserFactory,
)


def ingest(raw: bytes, source=ContactSource.PIPE, now=None):
    return email_ingest(raw=raw, source=source, now=now or timezone.now())


@pytest.fixture
def candidate_app():
    candidate = CandidateFactory(email="dana.whitfield@example.com")
    return ApplicationFactory(candidate=candidate)


def test_email_from_a_candidate_lands_on_their_timeline_unprompted(candidate_app):
    sent = timezone.now() - dt.timedelta(minutes=3)
    outcome = ingest(make_email(from_="Dana Whitfield <Dana.Whitfield@Example.com>", date=sent))
    assert outcome.status == "stored"
    contact = Contact.objects.get(pk=outcome.contact_id)
    assert contact.application == candidate_app
    assert contact.direction == Direction.INBOUND
    assert contact.match_status == MatchStatus.MATCHED
    assert not contact.is_prompted
    assert not contact.is_automated
    assert contact_is_persistence(contact)
    assert contact.occurred_at == sent.replace(microsecond=0)
    assert "ideas for the territory" in contact.body_text


def test_same_message_delivered_twice_is_stored_once(candidate_app):
    raw = make_email(from_="dana.whitfield@example.com")
    assert ingest(raw).status == "stored"
    assert ingest(raw, source=ContactSource.IMAP).status == "duplicate"
    assert (Contact.objects.count(), InboundMessage.objects.count()) == (1, 1)


def test_a_constraint_violation_that_is_not_a_duplicate_is_raised_not_dropped(monkeypatch):
    from followups import services

    # A matching bug: "matched" without a candidate violates contact_matched_iff_candidate.
    monkeypatch.setattr(
        services, "_match_email", lambda parsed, **kwargs: services._Match(MatchStatus.MATCHED)
    )
    with pytest.raises(IntegrityError, match="contact_matched_iff_candidate"):
        email_ingest(
            raw=make_email(from_="dana.whitfield@example.com"),
            source=ContactSource.PIPE,
            now=timezone.now(),
        )
    assert not InboundMessage.objects.exists()


def test_same_message_id_with_different_bytes_is_a_duplicate(candidate_app):
    first = make_email(from_="dana.whitfield@example.com", message_id="<abc@mail.example>")
    relayed = b"Received: from relay.example by mx.example; Fri, 27 Nov 2026\r\n" + first
    assert ingest(first).status == "stored"
    assert ingest(relayed).status == "duplicate"
    assert Contact.objects.count() == 1


def test_without_message_id_identical_bytes_are_a_duplicate_but_other_bytes_are_not(
    candidate_app,
):
    raw = make_email(from_="dana.whitfield@example.com", message_id=None)
    other = make_email(from_="dana.whitfield@example.com", message_id=None, subject="Another")
    assert ingest(raw).status == "stored"
    assert ingest(raw).status == "duplicate"
    assert ingest(other).status == "stored"
    assert Contact.objects.count() == 2
    assert Contact.objects.filter(external_id__startswith="sha256:").count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_deliveries_of_one_message_store_it_once():
    CandidateFactory(email="dana.whitfield@example.com")
    raw = make_email(from_="dana.whitfield@example.com")
    outcomes, barrier = [], threading.Barrier(4)

    def deliver():
        try:
            barrier.wait()
            outcomes.append(ingest(raw).status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["duplicate", "duplicate", "duplicate", "stored"]
    assert Contact.objects.count() == 1


def test_unknown_sender_goes_to_the_unmatched_queue(candidate_app):
    outcome = ingest(make_email(from_="stranger@example.net"))
    contact = Contact.objects.get(pk=outcome.contact_id)
    assert contact.match_status == MatchStatus.UNMATCHED
    assert contact.candidate is None
    assert "stranger@example.net" in contact.match_note


def test_sender_shared_by_two_candidates_is_ambiguous():
    CandidateFactory(email="shared@example.com")
    CandidateFactory(email="shared@example.com")
    contact = Contact.objects.get(pk=ingest(make_email(from_="shared@example.com")).contact_id)
    assert contact.match_status == MatchStatus.AMBIGUOUS
    assert "2 candidates" in contact.match_note


def test_display_name_trick_matches_the_real_address_only():
    victim = CandidateFactory(email="boss@corp.example")
    outcome = ingest(make_email(from_='"boss@corp.example" <x@evil.example>'))
    contact = Contact.objects.get(pk=outcome.contact_id)
    assert contact.candidate != victim
    assert contact.match_status == MatchStatus.UNMATCHED


def test_unparseable_from_header_never_matches(candidate_app):
    raw = (
        b"From: dana.whitfield@example.com, other@example.com\r\n"
        b"To: jobs@persist.example\r\nSubject: hi\r\nMessage-ID: <two@x.example>\r\n\r\nHello\r\n"
    )
    contact = Contact.objects.get(pk=ingest(raw).contact_id)
    assert contact.match_status == MatchStatus.UNMATCHED
    assert "could not be read" in contact.match_note


def test_application_with_an_open_silence_test_gets_the_email():
    # Both applications are one team's (same manager, no recruiters): across teams the email
    # would wait in the queue (tests/security/test_cross_team.py).
    candidate = CandidateFactory(email="sam@example.com")
    manager = UserFactory(hiring_manager=True)
    other = ApplicationFactory(
        candidate=candidate, requisition=RequisitionFactory(hiring_manager=manager)
    )
    test = SilenceTestFactory(
        observing=True,
        application__candidate=candidate,
        application__requisition=RequisitionFactory(hiring_manager=manager),
    )
    other.save()  # most recently updated, but the open test wins
    contact = Contact.objects.get(pk=ingest(make_email(from_="sam@example.com")).contact_id)
    assert contact.application == test.application


def test_email_goes_to_the_application_the_shared_rule_chooses():
    """Within one team, the ingest picks what ``applications_for_candidates`` picks."""
    manager = UserFactory(hiring_manager=True)

    def team_requisition():
        return RequisitionFactory(hiring_manager=manager)

    plain_only = CandidateFactory(email="plain@example.com")
    ApplicationFactory(candidate=plain_only, requisition=team_requisition())
    newest = ApplicationFactory(candidate=plain_only, requisition=team_requisition())
    with_test = CandidateFactory(email="tested@example.com")
    tested = SilenceTestFactory(
        application__candidate=with_test, application__requisition=team_requisition()
    ).application
    # Newer, but without an open test.
    ApplicationFactory(candidate=with_test, requisition=team_requisition())
    CandidateFactory(email="nothing@example.com")
    for address in ("plain@example.com", "tested@example.com", "nothing@example.com"):
        contact = Contact.objects.get(pk=ingest(make_email(from_=address)).contact_id)
        expected = applications_for_candidates({contact.candidate_id}).get(contact.candidate_id)
        assert contact.application_id == expected
        assert contact.match_status == MatchStatus.MATCHED
    assert Contact.objects.get(candidate=plain_only).application == newest
    assert Contact.objects.get(candidate=with_test).application == tested
    assert Contact.objects.get(from_header__contains="nothing").application is None


def test_auto_reply_is_stored_but_never_persistence(candidate_app):
    raw = make_email(
        from_="dana.whitfield@example.com",
        subject="Automatic reply: Next steps",
        headers={"Auto-Submitted": "auto-replied"},
    )
    contact = Contact.objects.get(pk=ingest(raw).contact_id)
    assert contact.is_automated
    assert "auto" in contact.automated_reason.lower()
    assert not contact_is_persistence(contact)


def test_auto_reply_during_the_window_leaves_the_candidate_silent():
    test = SilenceTestFactory(closing=True)
    address = test.application.candidate.emails.get().address
    raw = make_email(
        from_=address,
        date=test.deadline_at + dt.timedelta(hours=1),
        headers={"X-Autoreply": "yes"},
        subject="Out of office",
    )
    email_ingest(raw=raw, source=ContactSource.IMAP, now=test.deadline_at + dt.timedelta(hours=1))
    silence_tests_sweep(now=timezone.now())
    test.refresh_from_db()
    assert test.outcome == SilenceOutcome.SILENT


def test_team_email_and_replies_to_it(settings, candidate_app):
    settings.REPLY_DOMAIN = "persist.example"
    manager = candidate_app.requisition.hiring_manager
    sent = email_send(
        application=candidate_app,
        sender=manager,
        subject="Next steps",
        body="Could you send your availability?",
        now=timezone.now(),
    )
    token = ReplyToken.objects.get(contact=sent)
    assert candidate_email_deliver(contact_id=sent.pk)
    message = mail.outbox[0]
    assert message.to == ["dana.whitfield@example.com"]
    assert message.reply_to == [f"reply+{token.token}@persist.example"]
    assert message.extra_headers["Message-ID"] == f"<{sent.external_id}>"

    # A reply to the token address is prompted, whatever address it comes from.
    by_token = make_email(
        from_="dana.private@example.org", to=f"reply+{token.token}@persist.example"
    )
    contact = Contact.objects.get(pk=ingest(by_token).contact_id)
    assert (contact.application, contact.is_prompted) == (candidate_app, True)

    # A reply that only references our Message-ID is prompted too.
    threaded = make_email(
        from_="dana.whitfield@example.com",
        to="jobs@persist.example",
        headers={"In-Reply-To": f"<{sent.external_id}>", "References": f"<{sent.external_id}>"},
    )
    assert Contact.objects.get(pk=ingest(threaded).contact_id).is_prompted


def test_email_from_the_team_is_outbound_and_contaminates_a_running_test():
    test = SilenceTestFactory(observing=True)
    manager = test.application.requisition.hiring_manager
    manager.email = "morgan@team.example"
    manager.save()
    candidate_address = test.application.candidate.emails.get().address
    raw = make_email(from_="Morgan <morgan@team.example>", to=candidate_address)
    contact = Contact.objects.get(pk=ingest(raw).contact_id)
    assert contact.direction == Direction.OUTBOUND
    assert contact.application == test.application
    test.refresh_from_db()
    assert test.contaminated_by == contact


def test_not_an_email_raises_and_stores_nothing():
    with pytest.raises(NotAnEmail):
        ingest(b"\x00\x01\x02 definitely not mail")
    assert InboundMessage.objects.count() == 0


def test_hostile_html_is_inert_on_the_timeline(client, candidate_app):
    html = (
        "<p>Hello</p><script>alert('x')</script><img src=x onerror=alert(1)>"
        '<a href="javascript:alert(2)">click</a><iframe src=//evil.example></iframe>'
    )
    ingest(make_email(from_="dana.whitfield@example.com", body="", html=html))
    client.force_login(candidate_app.requisition.hiring_manager)
    response = client.get(reverse("candidates:application_detail", args=[candidate_app.pk]))
    text = response.text
    assert "Hello" in text
    for payload in ("<script>alert", "onerror=", "javascript:alert", "<iframe"):
        assert payload not in text


def test_raw_message_download_is_scoped_to_who_may_see_the_candidate(client, candidate_app):
    raw = make_email(from_="dana.whitfield@example.com")
    contact_id = ingest(raw).contact_id
    url = reverse("followups:contact_raw", args=[contact_id])
    client.force_login(UserFactory(hiring_manager=True))
    assert client.get(url).status_code == 404
    client.force_login(candidate_app.requisition.hiring_manager)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert b"".join(response.streaming_content if response.streaming else [response.content]) == raw


def test_timeline_shows_subject_badges_and_attachments(client, candidate_app):
    ingest(make_email(from_="dana.whitfield@example.com", subject="My 30-60-90 day plan"))
    ingest(
        make_email(
            from_="dana.whitfield@example.com",
            subject="Out of office",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    client.force_login(candidate_app.requisition.hiring_manager)
    text = client.get(reverse("candidates:application_detail", args=[candidate_app.pk])).text
    assert "My 30-60-90 day plan" in text
    assert "Unprompted" in text
    assert "Auto-reply" in text
    assert "Download the original" in text


def test_sending_an_email_while_observing_needs_confirmation(client):
    test = SilenceTestFactory(observing=True)
    client.force_login(test.application.requisition.hiring_manager)
    url = reverse("followups:email_send", args=[test.application.pk])
    response = client.post(url, {"subject": "Checking in", "body": "Any questions?"})
    assert "Send anyway" in response.text
    assert not Contact.objects.exists()
    response = client.post(
        url, {"subject": "Checking in", "body": "Any questions?", "confirm_contamination": "true"}
    )
    assert response.status_code == 302
    test.refresh_from_db()
    assert test.is_contaminated


def test_email_to_candidate_without_address_is_refused(client):
    app = ApplicationFactory(candidate=CandidateFactory(email=False))
    client.force_login(app.requisition.hiring_manager)
    response = client.post(
        reverse("followups:email_send", args=[app.pk]), {"subject": "Hi", "body": "Hello"}
    )
    assert response.status_code == 422
    assert "no email address" in response.text


def test_extra_candidate_addresses_match_too():
    app = ApplicationFactory()
    CandidateEmailFactory(candidate=app.candidate, address="dana@work.example")
    contact = Contact.objects.get(pk=ingest(make_email(from_="DANA@work.example")).contact_id)
    assert contact.candidate == app.candidate


def test_requisition_scoping_for_unmatched_contacts(client):
    ingest(make_email(from_="stranger@example.net"))
    contact = Contact.objects.get()
    url = reverse("followups:contact_raw", args=[contact.pk])
    client.force_login(UserFactory(hiring_manager=True))
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(recruiter=True))
    assert client.get(url).status_code == 200

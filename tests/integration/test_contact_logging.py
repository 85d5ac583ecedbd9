"""Manual contact logging (application page and quick log), promises, the unmatched queue."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from candidates.models import CandidateEmail
from followups.forms import parse_duration
from followups.models import (
    Contact,
    ContactTag,
    Direction,
    MatchStatus,
    Promise,
    PromiseStatus,
)
from followups.quality import promise_record, promises_sweep
from followups.services import email_ingest
from tests.emails import make_email
from tests.factories import ApplicationFactory, CandidateFactory, ContactFactory, UserFactory


def _local(when: dt.datetime, zone: str) -> str:
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def recruiter_app():
    recruiter = UserFactory(recruiter=True)
    app = ApplicationFactory(requisition__recruiters=[recruiter])
    return recruiter, app


def test_logged_call_uses_the_users_time_zone_and_keeps_duration_and_tags(client, recruiter_app):
    recruiter, app = recruiter_app
    client.force_login(recruiter)
    client.post(reverse("hiring:profile"), {"time_zone": "Asia/Kolkata"})
    when = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=1)
    response = client.post(
        reverse("followups:contact_log", args=[app.pk]),
        {
            "channel": "phone",
            "direction": "inbound",
            "occurred_at": _local(when, "Asia/Kolkata"),
            "duration": "7:30",
            "summary": "Walked me through a 30-60-90 plan.",
            "tags": ["adds_value", "professional"],
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.occurred_at == when
    assert contact.duration_seconds == 450
    assert set(contact.tags.values_list("tag", flat=True)) == {"adds_value", "professional"}
    page = client.get(reverse("candidates:application_detail", args=[app.pk])).text
    assert "7:30" in page
    assert "Adds value" in page


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("duration", "7:75", "below 60"),
        ("duration", "abc", "minutes (7)"),
        ("occurred_at", "yesterday-ish", "Enter a valid date/time"),
        ("channel", "carrier_pigeon", "Select a valid choice"),
        ("tags", "nice", "Select a valid choice"),
    ],
)
def test_invalid_contact_fields_are_refused_next_to_the_field(
    client, recruiter_app, field, value, error
):
    recruiter, app = recruiter_app
    client.force_login(recruiter)
    data = {
        "channel": "phone",
        "direction": "inbound",
        "occurred_at": _local(timezone.now(), "UTC"),
        field: value,
    }
    response = client.post(reverse("followups:contact_log", args=[app.pk]), data)
    assert response.status_code == 422
    assert error in response.text
    assert not Contact.objects.exists()


def test_contact_in_the_future_is_refused(client, recruiter_app):
    recruiter, app = recruiter_app
    client.force_login(recruiter)
    tomorrow = timezone.now() + dt.timedelta(days=1)
    response = client.post(
        reverse("followups:contact_log", args=[app.pk]),
        {"channel": "phone", "direction": "inbound", "occurred_at": _local(tomorrow, "UTC")},
    )
    assert response.status_code == 422
    assert "cannot be logged in the future" in response.text


def test_parse_duration_accepts_minutes_and_clock_forms():
    assert parse_duration("7") == 420
    assert parse_duration("7:05") == 425
    assert parse_duration("1:02:03") == 3723
    assert parse_duration("") is None


# --- quick log ---------------------------------------------------------------------------------


def test_quick_log_search_finds_by_name_email_and_phone_within_scope(client, recruiter_app):
    recruiter, app = recruiter_app
    app.candidate.first_name, app.candidate.last_name = "Priya", "Raman"
    app.candidate.save()
    app.candidate.phones.create(number="+14155550134")
    hidden = ApplicationFactory(candidate=CandidateFactory(first_name="Priya", last_name="Other"))
    client.force_login(recruiter)
    url = reverse("followups:quick_log_search")
    for query in ("priya", "Raman", "priya r", app.candidate.emails.get().address[:8], "555-0134"):
        text = client.get(url, {"q": query}, headers={"HX-Request": "true"}).text
        assert "Priya Raman" in text, query
        assert hidden.candidate.last_name not in text
    assert "No candidate you can see" in client.get(url, {"q": "zzzz"}).text


def test_quick_log_flow_returns_to_quick_log_with_a_confirmation(client, recruiter_app):
    recruiter, app = recruiter_app
    client.force_login(recruiter)
    page = client.get(reverse("followups:quick_log"), {"application": app.pk})
    assert "autofocus" in page.text
    assert app.candidate.full_name in page.text
    response = client.post(
        reverse("followups:contact_log", args=[app.pk]),
        {
            "channel": "phone",
            "direction": "inbound",
            "occurred_at": _local(timezone.now(), "UTC"),
            "next": reverse("followups:quick_log"),
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("followups:quick_log")
    assert f"Phone call with {app.candidate.full_name} logged" in response.text


def test_quick_log_ignores_an_offsite_next(client, recruiter_app):
    recruiter, app = recruiter_app
    client.force_login(recruiter)
    response = client.post(
        reverse("followups:contact_log", args=[app.pk]),
        {
            "channel": "sms",
            "direction": "inbound",
            "occurred_at": _local(timezone.now(), "UTC"),
            "next": "https://evil.example/",
        },
    )
    assert response.url == reverse("candidates:application_detail", args=[app.pk])


def test_quick_log_for_another_teams_application_is_404(client, recruiter_app):
    recruiter, _app = recruiter_app
    client.force_login(recruiter)
    other = ApplicationFactory()
    assert client.get(reverse("followups:quick_log"), {"application": other.pk}).status_code == 404


# --- promises ----------------------------------------------------------------------------------


def test_promise_made_on_a_call_is_kept_by_the_next_inbound_contact(client, recruiter_app):
    recruiter, app = recruiter_app
    client.force_login(recruiter)
    now = timezone.now()
    due = now + dt.timedelta(days=2)
    client.post(
        reverse("followups:contact_log", args=[app.pk]),
        {
            "channel": "phone",
            "direction": "inbound",
            "occurred_at": _local(now - dt.timedelta(minutes=5), "UTC"),
            "promise": "I'll call you Monday with two references",
            "promise_due": _local(due, "UTC"),
        },
    )
    promise = Promise.objects.get()
    assert promise.status == PromiseStatus.OPEN
    assert ContactTag.objects.filter(tag="promise_made").count() == 1
    keeping = ContactFactory(application=app, occurred_at=now + dt.timedelta(days=1))
    assert promises_sweep(now=now + dt.timedelta(days=1)) == {"kept": 1, "broken": 0}
    promise.refresh_from_db()
    assert (promise.status, promise.kept_by) == (PromiseStatus.KEPT, keeping)


def test_promise_without_a_contact_by_its_due_time_is_broken():
    app = ApplicationFactory()
    now = timezone.now()
    promise = promise_record(
        application=app,
        description="Will send the deck by Friday",
        due_at=now + dt.timedelta(days=1),
        channel="email",
        now=now,
    )
    # A call does not keep an email promise; an outbound contact never keeps one.
    ContactFactory(application=app, occurred_at=now + dt.timedelta(hours=3))
    ContactFactory(application=app, outbound=True, channel="email", occurred_at=now)
    assert promises_sweep(now=now + dt.timedelta(hours=12)) == {"kept": 0, "broken": 0}
    assert promises_sweep(now=now + dt.timedelta(days=1, hours=3)) == {"kept": 0, "broken": 1}
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.BROKEN


def test_promise_kept_within_the_grace_period():
    app = ApplicationFactory()
    now = timezone.now()
    promise_record(application=app, description="Call at 10", due_at=now, now=now)
    ContactFactory(application=app, occurred_at=now + dt.timedelta(minutes=90))
    assert promises_sweep(now=now + dt.timedelta(hours=3))["kept"] == 1


def test_promise_validation_is_clear(client, recruiter_app):
    recruiter, app = recruiter_app
    client.force_login(recruiter)
    response = client.post(
        reverse("followups:contact_log", args=[app.pk]),
        {
            "channel": "phone",
            "direction": "inbound",
            "occurred_at": _local(timezone.now(), "UTC"),
            "promise": "Call Monday",
        },
    )
    assert response.status_code == 422
    assert "When is the promise due?" in response.text


# --- unmatched queue ------------------------------------------------------------------------


def _unmatched_email(sender="new.address@example.org"):
    outcome = email_ingest(
        raw=make_email(from_=f"Dana <{sender}>"), source="pipe", now=timezone.now()
    )
    return Contact.objects.get(pk=outcome.contact_id)


def test_queue_lists_unmatched_contacts_for_recruiters_only(client, recruiter_app):
    recruiter, _app = recruiter_app
    contact = _unmatched_email()
    client.force_login(UserFactory(hiring_manager=True))
    assert client.get(reverse("followups:unmatched_queue")).status_code == 403
    client.force_login(recruiter)
    text = client.get(reverse("followups:unmatched_queue")).text
    assert contact.subject in text
    assert "No candidate has the sender address" in text


def test_attach_moves_the_contact_to_the_timeline_and_learns_the_address(client, recruiter_app):
    recruiter, app = recruiter_app
    contact = _unmatched_email()
    client.force_login(recruiter)
    page = client.get(
        reverse("followups:unmatched_queue"),
        {"attach": contact.pk, "q": app.candidate.first_name},
    )
    assert app.candidate.full_name in page.text
    response = client.post(
        reverse("followups:unmatched_attach", args=[contact.pk]),
        {"application": app.pk, "add_identifier": "on"},
        follow=True,
    )
    assert "Attached to" in response.text
    contact.refresh_from_db()
    assert (contact.application, contact.match_status) == (app, MatchStatus.MATCHED)
    assert CandidateEmail.objects.filter(
        candidate=app.candidate, address="new.address@example.org"
    ).exists()
    assert "The queue is empty" in response.text
    # The next email from that address matches by itself.
    assert _unmatched_email().application == app


def test_attach_to_an_application_the_user_cannot_see_is_404(client, recruiter_app):
    recruiter, _app = recruiter_app
    contact = _unmatched_email()
    client.force_login(recruiter)
    other = ApplicationFactory()
    response = client.post(
        reverse("followups:unmatched_attach", args=[contact.pk]), {"application": other.pk}
    )
    assert response.status_code == 404
    contact.refresh_from_db()
    assert contact.match_status == MatchStatus.UNMATCHED


def test_dismissed_contacts_leave_the_queue_but_are_kept(client, recruiter_app):
    recruiter, _app = recruiter_app
    contact = _unmatched_email("newsletter@vendor.example")
    client.force_login(recruiter)
    client.post(reverse("followups:unmatched_dismiss", args=[contact.pk]))
    contact.refresh_from_db()
    assert contact.match_status == MatchStatus.DISMISSED
    assert "Dismissed as not a candidate" in contact.match_note
    assert contact.pk not in [
        c.pk for c in Contact.objects.filter(match_status__in=["unmatched", "ambiguous"])
    ]
    # Resolving twice is refused, not silently repeated.
    response = client.post(reverse("followups:unmatched_dismiss", args=[contact.pk]))
    assert response.status_code == 404


def test_attached_reply_is_reclassified_as_prompted(client, recruiter_app, settings):
    recruiter, app = recruiter_app
    from followups.services import email_send

    sent = email_send(
        application=app, sender=recruiter, subject="Hi", body="Next steps?", now=timezone.now()
    )
    raw = make_email(
        from_="unknown.alias@example.org", headers={"In-Reply-To": f"<{sent.external_id}>"}
    )
    contact = Contact.objects.get(
        pk=email_ingest(raw=raw, source="pipe", now=timezone.now()).contact_id
    )
    assert contact.match_status == MatchStatus.UNMATCHED
    client.force_login(recruiter)
    client.post(reverse("followups:unmatched_attach", args=[contact.pk]), {"application": app.pk})
    contact.refresh_from_db()
    assert contact.is_prompted
    assert contact.direction == Direction.INBOUND


def test_quick_log_search_reads_national_phone_formats_like_the_add_candidate_form(
    client, recruiter_app
):
    # The add-candidate form reads "070-123 45 67" on a Swedish requisition as +46701234567;
    # the search must find that candidate by the same number, whole or by its first digits.
    recruiter, app = recruiter_app
    app.requisition.country = "SE"
    app.requisition.save()
    app.candidate.first_name, app.candidate.last_name = "Priya", "Raman"
    app.candidate.save()
    app.candidate.phones.create(number="+46701234567")
    # On a German requisition "070…" is a German number: this Swedish one is not it.
    other = ApplicationFactory(requisition__recruiters=[recruiter], requisition__country="DE")
    other.candidate.phones.create(number="+46701234568")
    client.force_login(recruiter)
    url = reverse("followups:quick_log_search")
    for query in ("0701234567", "070-123", "070 123 45", "+46 70 123 45 67"):
        text = client.get(url, {"q": query}, headers={"HX-Request": "true"}).text
        assert "Priya Raman" in text, query
    for query in ("0701234567", "070-123"):
        text = client.get(url, {"q": query}, headers={"HX-Request": "true"}).text
        assert other.candidate.full_name not in text, query

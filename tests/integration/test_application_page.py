"""The application page: a constant number of queries whatever the application holds, and a
timeline paged newest first by (occurred_at, id)."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from followups.models import Channel, Contact, ContactSource, Direction
from followups.selectors import TIMELINE_PAGE_SIZE
from tests.factories import (
    ApplicationFactory,
    CandidateEmailFactory,
    CandidatePhoneFactory,
    ContactFactory,
    InterviewRoundFactory,
    RequisitionFactory,
    ScorecardFactory,
    SilenceTestFactory,
    StageTransitionFactory,
    UserFactory,
)

#: Rendered: session, user, the user's zone and groups, the page's version (with the other
#: applications the user may see: candidates.page_cache), the application (with its
#: candidate's emails and phones, the pipeline's stages and the recruiters as JSON columns),
#: rounds (with their interviewers and scorecards), silence tests, transitions, promises, the
#: company calendar, the timeline page and the score; the CVs and the emails scheduled after a
#: decision (their page sections); the pipeline's scorecard traits.
PAGE_QUERIES = 15
#: From the cache: session, user, zone and groups, the page's version.
CACHED_PAGE_QUERIES = 4


@pytest.fixture(autouse=True)
def _one_minute():
    """A page offering the announcement is right until the next minute (its default time):
    the requests of a test fall in one minute, so the rendered and the cached request are the
    ones measured."""
    cache.clear()
    start = timezone.now().replace(second=1, microsecond=0)
    with time_machine.travel(start, tick=True):
        yield
    cache.clear()


@pytest.fixture
def manager():
    return UserFactory(hiring_manager=True)


def _contacts(application, count, *, at=None):
    """``count`` contacts; all at the instant ``at`` when given (ties on occurred_at)."""
    now = timezone.now()
    return Contact.objects.bulk_create(
        Contact(
            application=application,
            candidate=application.candidate,
            channel=Channel.PHONE,
            direction=Direction.INBOUND,
            occurred_at=at or now - dt.timedelta(minutes=i),
            source=ContactSource.MANUAL,
            summary=f"Contact number {i}",
        )
        for i in range(count)
    )


def _busy_application(manager, *, contacts, stage_kind="interview", busy=True):
    """An application with ``contacts``; when ``busy`` also rounds with interviewers and
    scorecards, history and a silence test."""
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter])
    application = ApplicationFactory(requisition=requisition, stage_kind=stage_kind)
    if busy:
        for _ in range(2):
            interview_round = InterviewRoundFactory(application=application)
            interview_round.interviewers.add(recruiter, manager)
            # The manager's own scorecard: with it, blind scoring shows them every card.
            ScorecardFactory(round=interview_round, interviewer=manager)
        StageTransitionFactory(application=application)
        SilenceTestFactory(application=application)
    _contacts(application, contacts)
    return application


@pytest.mark.parametrize("busy", [True, False])
@pytest.mark.parametrize("contacts", [1, 300])
@pytest.mark.parametrize("stage_kind", ["interview", "silence_test", "hired"])
def test_application_page_queries_do_not_grow_with_contacts(
    client, manager, contacts, stage_kind, busy, django_assert_num_queries
):
    application = _busy_application(manager, contacts=contacts, stage_kind=stage_kind, busy=busy)
    client.force_login(manager)
    url = reverse("candidates:application_detail", args=[application.pk])
    client.get(url)  # per-process caches (calendars, weights) are not the page's cost
    cache.clear()
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(url)
    with django_assert_num_queries(CACHED_PAGE_QUERIES):
        cached = client.get(url)
    assert response.status_code == cached.status_code == 200
    assert cached.content.count(b'class="contact channel-') == min(contacts, TIMELINE_PAGE_SIZE)
    assert response.content.count(b'class="contact channel-') == min(contacts, TIMELINE_PAGE_SIZE)
    if busy:
        html = response.content.decode()
        assert html.count('<article class="round">') == 2
        assert manager.username in html or manager.get_full_name() in html
        assert html.count('class="badge rec-') == 2


def test_application_page_without_contacts_costs_the_same_queries(
    client, manager, django_assert_num_queries
):
    application = _busy_application(manager, contacts=0)
    client.force_login(manager)
    url = reverse("candidates:application_detail", args=[application.pk])
    client.get(url)
    cache.clear()
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(url)
    with django_assert_num_queries(CACHED_PAGE_QUERIES):
        cached = client.get(url)
    assert b"No contacts yet." in response.content
    assert b"No contacts yet." in cached.content


def _pages(client, application):
    """Every contact id the timeline shows, page after page, the way "Older contacts" asks."""
    url = reverse("followups:contact_timeline", args=[application.pk])
    response = client.get(reverse("candidates:application_detail", args=[application.pk]))
    seen = [c.pk for c in response.context["timeline"].contacts]
    before = response.context["timeline"].older_than
    while before is not None:
        response = client.get(url, {"before": before}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        page = response.context["timeline"]
        seen += [c.pk for c in page.contacts]
        before = page.older_than
    return seen


def test_timeline_pages_contacts_at_identical_instants_without_duplicates_or_gaps(client, manager):
    application = _busy_application(manager, contacts=0)
    instant = timezone.now() - dt.timedelta(days=1)
    tied = _contacts(application, TIMELINE_PAGE_SIZE * 2 + 5, at=instant)
    newer = _contacts(application, 3)
    client.force_login(manager)
    seen = _pages(client, application)
    assert len(seen) == len(set(seen)) == len(tied) + len(newer)
    expected = sorted(tied + newer, key=lambda c: (c.occurred_at, c.pk), reverse=True)
    assert seen == [c.pk for c in expected]


def test_older_contacts_fragment_appends_items_and_announces_them(client, manager):
    application = _busy_application(manager, contacts=TIMELINE_PAGE_SIZE + 3)
    client.force_login(manager)
    first = client.get(reverse("candidates:application_detail", args=[application.pk]))
    before = first.context["timeline"].older_than
    assert f"?before={before}".encode() in first.content
    response = client.get(
        reverse("followups:contact_timeline", args=[application.pk]),
        {"before": before},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'hx-swap-oob="beforeend:#timeline"' in html
    assert html.count('class="contact channel-') == 3
    assert 'data-announce-to="timeline-status"' in html
    assert "3 older contacts loaded" in html
    assert "Older contacts</a>" not in html


def test_older_contacts_link_works_without_javascript(client, manager):
    application = _busy_application(manager, contacts=TIMELINE_PAGE_SIZE + 3)
    client.force_login(manager)
    page = client.get(reverse("candidates:application_detail", args=[application.pk]))
    before = page.context["timeline"].older_than
    redirect = client.get(
        reverse("followups:contact_timeline", args=[application.pk]), {"before": before}
    )
    assert redirect.status_code == 302
    older = client.get(redirect.url)
    assert older.status_code == 200
    assert len(older.context["timeline"].contacts) == 3
    assert b"Back to the newest" in older.content


@pytest.mark.parametrize("before", ["abc", "-1", "1.5", "9" * 40, "\uff11"])
def test_a_malformed_timeline_cursor_is_a_400(client, manager, before):
    application = _busy_application(manager, contacts=2)
    client.force_login(manager)
    for url in (
        reverse("followups:contact_timeline", args=[application.pk]),
        reverse("candidates:application_detail", args=[application.pk]),
    ):
        assert client.get(url, {"before": before}).status_code == 400


def test_a_cursor_from_another_application_shows_nothing_of_it(client, manager):
    mine = _busy_application(manager, contacts=2)
    theirs = ApplicationFactory()
    foreign = ContactFactory(application=theirs, summary="Their secret")
    client.force_login(manager)
    response = client.get(
        reverse("followups:contact_timeline", args=[mine.pk]),
        {"before": foreign.pk},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.context["timeline"].contacts == []
    assert b"Their secret" not in response.content


def test_page_shows_emails_phones_stage_choices_and_team_from_the_one_application_query(
    client, manager
):
    recruiter = UserFactory(recruiter=True, first_name="Rita", last_name="Recruiter")
    requisition = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter])
    application = ApplicationFactory(requisition=requisition, at_silence_test=True)
    application.candidate.emails.all().delete()
    CandidateEmailFactory(candidate=application.candidate, address="zed@mail.example")
    CandidateEmailFactory(
        candidate=application.candidate, address="ana@mail.example", is_primary=True
    )
    CandidatePhoneFactory(candidate=application.candidate, number="+14155550123")
    client.force_login(manager)
    response = client.get(reverse("candidates:application_detail", args=[application.pk]))
    html = response.content.decode()
    assert html.index("ana@mail.example") < html.index("zed@mail.example")
    assert "(primary)" in html
    assert "+14155550123" in html or "415" in html
    move_choices = [
        label for _pk, label in response.context["move_form"].fields["to_stage"].choices
    ]
    expected = [s.name for s in requisition.pipeline.stages.order_by("order")]
    expected.remove(application.stage.name)
    # No stage preselected; earlier stages say that moving back needs a reason.
    assert move_choices[0] == "Choose a stage…"
    assert [label.removesuffix(" (back: needs a reason)") for label in move_choices[1:]] == (
        expected
    )
    team = [
        label for _pk, label in response.context["announce_form"].fields["announced_by"].choices
    ]
    assert "Rita Recruiter" in team
    assert "Rita Recruiter" in [
        label for _pk, label in response.context["round_form"].fields["interviewers"].choices
    ]

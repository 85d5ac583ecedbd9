"""``emails_ingest`` (``ingest_email FILE …``) stores what ``email_ingest`` stores one message at
a time: the same contacts, matches, prompted flags, queues, duplicates, refusals, contamination
and stale marks, for any sequence of a corpus that exercises every rule."""

import datetime as dt
from email import message_from_bytes, policy

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from candidates.models import StaleScore
from followups.email_parsing import NotAnEmail
from followups.models import (
    Channel,
    Contact,
    ContactSource,
    Direction,
    EmailAttachment,
    InboundMessage,
    ReplyToken,
)
from followups.services import EMAIL_CHUNK, email_ingest, emails_ingest
from hiring.models import SilenceTest
from tests.emails import make_email
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    RequisitionFactory,
    SilenceTestFactory,
    UserFactory,
)

NOW = timezone.now()
TOKEN = "0123456789abcdef0123456789abcdef"


def _with_attachment(raw: bytes) -> bytes:
    message = message_from_bytes(raw, policy=policy.default)
    message.add_attachment(
        b"%PDF-1.4 plan", maintype="application", subtype="pdf", filename="p.pdf"
    )
    return bytes(message)


@pytest.fixture
def corpus(db):
    """Named messages and the data they match against (each kind of rule at least once)."""
    manager = UserFactory(email="morgan@team.example")
    ApplicationFactory(candidate=CandidateFactory(email="ada@mail.example"))
    ApplicationFactory(candidate=CandidateFactory(email="ben@mail.example"))
    tokened = ApplicationFactory(candidate=CandidateFactory(email="cy@mail.example"))
    sent = Contact.objects.create(
        candidate_id=tokened.candidate_id,
        application=tokened,
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        occurred_at=NOW - dt.timedelta(days=2),
        external_id="sent-from-app@persist.example",
    )
    ReplyToken.objects.create(token=TOKEN, application=tokened, contact=sent)
    # One candidate, two teams: ambiguous unless the thread names the application.
    two_teams = CandidateFactory(email="dee@mail.example")
    first = ApplicationFactory(candidate=two_teams)
    ApplicationFactory(candidate=two_teams)
    Contact.objects.create(
        candidate_id=two_teams.pk,
        application=first,
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        occurred_at=NOW - dt.timedelta(days=3),
        external_id="thread-start@team.example",
    )
    observed = SilenceTestFactory(observing=True)
    observed.application.candidate.emails.update(address="eve@mail.example")
    RequisitionFactory(hiring_manager=manager)
    date = NOW - dt.timedelta(hours=1)
    plain = make_email(from_="ada@mail.example", message_id="<ada-1@mail.example>", date=date)
    messages = {
        "plain": plain,
        "plain-relayed": b"Received: from relay.example by mx.example; Fri, 27 Nov 2026\r\n"
        + plain,
        "plain-again": make_email(
            from_="ada@mail.example", subject="And another thing", message_id="<ada-2@m.example>"
        ),
        "stranger-to-team": make_email(
            from_="who@else.example", to="morgan@team.example", message_id="<who@else.example>"
        ),
        "team-outbound": make_email(
            from_="morgan@team.example", to="ben@mail.example", message_id="<out-1@team.example>"
        ),
        "reply-to-outbound": make_email(
            from_="ben@mail.example",
            subject="Re: Following up",
            message_id="<ben-1@mail.example>",
            headers={"In-Reply-To": "<out-1@team.example>"},
        ),
        "token-reply": make_email(
            from_="cy@mail.example", to=f"reply+{TOKEN}@persist.example", message_id="<cy@m.ex>"
        ),
        "two-teams": make_email(from_="dee@mail.example", message_id="<dee-1@mail.example>"),
        "two-teams-thread": make_email(
            from_="dee@mail.example",
            message_id="<dee-2@mail.example>",
            headers={"References": "<thread-start@team.example>"},
        ),
        "auto-reply": make_email(
            from_="ada@mail.example",
            subject="Automatic reply: away",
            message_id="<ooo@mail.example>",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        "html-attachment": _with_attachment(
            make_email(
                from_="ada@mail.example",
                body="",
                html="<p>My <b>plan</b></p><ul><li>one</li></ul>",
                message_id="<html@mail.example>",
            )
        ),
        "no-id-no-date": make_email(from_="ada@mail.example", subject="Any news?", message_id=None),
        "contaminating": make_email(
            from_="morgan@team.example", to="eve@mail.example", message_id="<chase@team.example>"
        ),
        "not-a-message": b"\x89PNG\r\n\x1a\n\x00\x00binary",
    }
    return {"messages": messages, "observed": observed}


def _single(raws: list[bytes]) -> list[str]:
    statuses = []
    for raw in raws:
        try:
            outcome = email_ingest(raw=raw, source=ContactSource.PIPE, now=NOW, drain_scores=False)
        except NotAnEmail:
            statuses.append("not a message")
        else:
            statuses.append(outcome.status)
    return statuses


def _batch(raws: list[bytes]) -> list[str]:
    return [o.status for o in emails_ingest(raws=raws, source=ContactSource.PIPE, now=NOW)]


def _state() -> dict:
    """Everything the paths write, without the ids they happen to get."""
    contacts = {}
    for c in Contact.objects.filter(source=ContactSource.PIPE).select_related("message"):
        contacts[c.external_id] = (
            c.candidate_id,
            c.application_id,
            c.direction,
            c.occurred_at,
            c.summary,
            c.is_prompted,
            c.is_automated,
            c.automated_reason,
            c.match_status,
            c.match_note,
            c.subject,
            c.body_text,
            c.from_header,
            sorted(c.queue_requisitions.values_list("pk", flat=True)),
            sorted(EmailAttachment.objects.filter(contact=c).values_list("filename", "size")),
            (c.message.fingerprint, c.message.content_fingerprint, c.message.size),
        )
    return {
        "contacts": contacts,
        "messages": sorted(InboundMessage.objects.values_list("fingerprint", "parse_error")),
        "stale": sorted(StaleScore.objects.values_list("application_id", flat=True)),
        "contaminated": sorted(
            SilenceTest.objects.filter(contaminated_by__isnull=False).values_list(
                "application_id", "contaminated_by__external_id"
            )
        ),
    }


def _both(raws: list[bytes]) -> tuple[tuple[list[str], dict], tuple[list[str], dict]]:
    results = []
    for path in (_single, _batch):
        savepoint = transaction.savepoint()
        statuses = path(raws)
        results.append((statuses, _state()))
        transaction.savepoint_rollback(savepoint)
    return results[0], results[1]


def test_every_rule_of_the_corpus_in_order_stores_the_same(corpus):
    raws = list(corpus["messages"].values())
    single, batch = _both(raws)
    assert batch == single
    statuses = dict(zip(corpus["messages"], single[0], strict=True))
    assert statuses["plain-relayed"] == "duplicate"
    assert statuses["not-a-message"] == "not a message"
    contacts = single[1]["contacts"]
    assert contacts["ben-1@mail.example"][5] is True  # answers the team's email: prompted
    assert contacts["cy@m.ex"][5] is True  # reply token: prompted
    assert contacts["dee-1@mail.example"][8] == "ambiguous"
    assert contacts["dee-2@mail.example"][8] == "matched"  # the thread names the application
    assert single[1]["contaminated"] == [(corpus["observed"].application_id, "chase@team.example")]


def test_a_batch_larger_than_a_chunk_stores_the_same(corpus):
    raws = list(corpus["messages"].values())
    many = [
        make_email(from_="ada@mail.example", subject=f"Note {n}", message_id=f"<n{n}@m.example>")
        for n in range(EMAIL_CHUNK + 5)
    ]
    single, batch = _both([*many[:100], *raws, *many[100:], raws[0]])
    assert batch == single


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_sequence_of_the_corpus_stores_the_same_through_both_paths(corpus, data):
    names = data.draw(st.lists(st.sampled_from(sorted(corpus["messages"])), max_size=12))
    single, batch = _both([corpus["messages"][name] for name in names])
    assert batch == single

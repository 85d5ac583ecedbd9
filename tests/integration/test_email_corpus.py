"""The whole fixture corpus through the ingest service: every message has an outcome, and a
second delivery of everything changes nothing."""

from pathlib import Path

from django.utils import timezone

from followups.email_parsing import NotAnEmail
from followups.models import Contact, ContactTag, EmailAttachment, InboundMessage, MatchStatus
from followups.rules import contact_is_persistence
from followups.services import email_ingest
from tests.factories import CandidateFactory

CORPUS = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "emails").glob("*.eml"))


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (Contact, InboundMessage, EmailAttachment, ContactTag)
    }


def _ingest_all():
    outcomes = {}
    for path in CORPUS:
        try:
            outcomes[path.name] = email_ingest(
                raw=path.read_bytes(), source="pipe", now=timezone.now()
            ).status
        except NotAnEmail:
            outcomes[path.name] = "not an email"
    return outcomes


def test_corpus_is_large_enough_to_mean_something():
    assert len(CORPUS) >= 25


def test_reingesting_the_whole_corpus_leaves_counts_unchanged():
    # Some senders are known candidates, so both timelines and the queue are exercised.
    for address in ("dana.whitfield@example.com", "juergen.weiss@example.com"):
        CandidateFactory(email=address)
    first = _ingest_all()
    assert set(first.values()) <= {"stored", "duplicate"}
    assert list(first.values()).count("stored") >= 25
    counts = _counts()
    again = _ingest_all()
    assert set(again.values()) == {"duplicate"}
    assert _counts() == counts
    # Nothing is dropped: every stored message is on a timeline or in the queue.
    assert Contact.objects.filter(message__isnull=True).count() == 0
    assert set(Contact.objects.values_list("match_status", flat=True)) <= {
        MatchStatus.MATCHED,
        MatchStatus.UNMATCHED,
        MatchStatus.AMBIGUOUS,
    }


def test_automated_corpus_messages_never_count_as_persistence():
    _ingest_all()
    automated = Contact.objects.filter(is_automated=True)
    assert automated.count() >= 8  # auto-replies, bounces, receipts, bulk
    assert not any(contact_is_persistence(c) for c in automated)

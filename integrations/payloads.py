"""What each event says: built from the ids the emitting app passed, inside its transaction,
so the payload is the state the change committed.

Payloads carry ids, names, stages, outcomes and times — never a candidate's contact data
(addresses, numbers) nor anything they wrote (summaries, bodies, reasons typed by the team).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from candidates.models import Application, StageTransition
from followups.models import Contact, PersistenceScore
from hiring import events
from hiring.models import SilenceDigest, SilenceOutcome, SilenceTest


@dataclass(frozen=True)
class Item:
    application_id: int | None
    requisition_id: int | None
    data: dict


def _iso(value):
    return value.isoformat() if value is not None else None


def _application(application: Application) -> dict:
    return {
        "id": application.pk,
        "requisition": {"id": application.requisition_id, "title": application.requisition.title},
        "candidate": {"id": application.candidate_id, "name": application.candidate.full_name},
        "stage": {"id": application.stage_id, "name": application.stage.name},
    }


_APPLICATION = ("requisition", "candidate", "stage")


def _tests(ids):
    for test in SilenceTest.objects.filter(pk__in=ids).select_related(
        *(f"application__{r}" for r in _APPLICATION)
    ):
        yield Item(
            test.application_id,
            test.application.requisition_id,
            {
                "silence_test": {
                    "id": test.pk,
                    "outcome": test.outcome,
                    "comparable": not test.is_contaminated,
                    "deadline_at": _iso(test.deadline_at),
                    "window_closes_at": _iso(test.window_closes_at),
                    "closed_at": _iso(test.closed_at),
                },
                "application": _application(test.application),
            },
        )


def _transitions(ids):
    for move in StageTransition.objects.filter(pk__in=ids).select_related(
        "from_stage", "to_stage", *(f"application__{r}" for r in _APPLICATION)
    ):
        yield Item(
            move.application_id,
            move.application.requisition_id,
            {
                "transition_id": move.pk,
                "from_stage": (
                    {"id": move.from_stage_id, "name": move.from_stage.name}
                    if move.from_stage_id
                    else None
                ),
                "to_stage": {"id": move.to_stage_id, "name": move.to_stage.name},
                "at": _iso(move.at),
                # Who, not why: the reason is free text typed by the team.
                "by": "user" if move.actor_id else "system",
                "application": _application(move.application),
            },
        )


def _contacts(ids):
    for contact in Contact.objects.filter(pk__in=ids).select_related(
        *(f"application__{r}" for r in _APPLICATION)
    ):
        application = contact.application
        yield Item(
            contact.application_id,
            application.requisition_id if application else None,
            {
                "contact": {
                    "id": contact.pk,
                    "channel": contact.channel,
                    "direction": contact.direction,
                    "occurred_at": _iso(contact.occurred_at),
                    "prompted": contact.is_prompted,
                    "automated": contact.is_automated,
                    "source": contact.source,
                    "match_status": contact.match_status,
                },
                "application": _application(application) if application else None,
            },
        )


def _scores(ids):
    for score in PersistenceScore.objects.filter(
        application_id__in=ids, is_current=True
    ).select_related(*(f"application__{r}" for r in _APPLICATION)):
        yield Item(
            score.application_id,
            score.application.requisition_id,
            {
                "score": score.score,
                "outcome": score.outcome,
                "comparable": score.comparable,
                "computed_at": _iso(score.computed_at),
                "application": _application(score.application),
            },
        )


def _digests(ids):
    for digest in SilenceDigest.objects.filter(pk__in=ids).select_related("requisition"):
        yield Item(None, digest.requisition_id, {"digest": digest_summary(digest)})


BUILDERS = {
    events.SILENCE_TEST_CLOSED: _tests,
    events.APPLICATION_STAGE_CHANGED: _transitions,
    events.CONTACT_RECORDED: _contacts,
    events.SCORE_CHANGED: _scores,
    events.SILENCE_DIGEST_READY: _digests,
}


def items_for(event: str, ids: Iterable[int]) -> list[Item]:
    return sorted(BUILDERS[event](list(ids)), key=lambda item: _sort_key(item))


def _sort_key(item: Item):
    # Creation order inside one emission: by the object's id (the builders' queries are
    # unordered).
    data = item.data
    for key in ("silence_test", "contact"):
        if key in data:
            return data[key]["id"]
    return data.get("transition_id") or (data.get("application") or {}).get("id") or 0


# --- The Slack / Teams digest -------------------------------------------------------------------


def digest_summary(digest: SilenceDigest) -> dict:
    """Names and outcomes only: who reached out (first follow-up soonest first), who stayed
    silent."""
    tests = list(
        SilenceTest.objects.filter(digest=digest)
        .select_related("application__candidate")
        .order_by("application__candidate__last_name", "application__candidate__first_name", "id")
    )
    zone = ZoneInfo(digest.requisition.time_zone)
    return {
        "requisition": digest.requisition.title,
        "window_closed": f"{digest.window_closes_at.astimezone(zone):%A %d %B %Y %H:%M %Z}",
        "reached_out": [
            {"name": t.application.candidate.full_name, "comparable": not t.is_contaminated}
            for t in tests
            if t.outcome == SilenceOutcome.REACHED_OUT
        ],
        "silent": [
            t.application.candidate.full_name for t in tests if t.outcome == SilenceOutcome.SILENT
        ],
    }


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn: only these three are control characters (a name "<!channel>" would
    # otherwise ping everyone).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _markdown_escape(text: str) -> str:
    # Teams renders a subset of Markdown in card text: a name must not become a link or bold.
    for char in "\\`*_{}[]()#+-.!|<>~":
        text = text.replace(char, "\\" + char)
    return text


def digest_lines(summary: dict, escape) -> list[str]:
    reached = summary["reached_out"]
    silent = summary["silent"]
    lines = [
        f"Silence test: {escape(summary['requisition'])} — window closed "
        f"{escape(summary['window_closed'])}",
        f"Reached out ({len(reached)}): "
        + (
            ", ".join(
                escape(r["name"]) + ("" if r["comparable"] else " (not comparable)")
                for r in reached
            )
            or "nobody"
        ),
        f"Stayed silent ({len(silent)}), recommended No — don't chase: "
        + (", ".join(escape(name) for name in silent) or "nobody"),
    ]
    return lines


def slack_body(summary: dict) -> dict:
    return {"text": "\n".join(digest_lines(summary, _slack_escape))}


def teams_body(summary: dict) -> dict:
    """An Adaptive Card message, what Teams' Workflows "post to a channel when a webhook request
    is received" expects (the retired Office 365 connectors took it too)."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "text": line, "wrap": True}
                        for line in digest_lines(summary, _markdown_escape)
                    ],
                },
            }
        ],
    }

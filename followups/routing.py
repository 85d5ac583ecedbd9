"""Which application a contact from (or to) a known address or number belongs to.

One rule for captured email, Twilio calls and texts, and call-log imports:

1. The candidates with the address or number. None: unmatched.
2. Their applications (for a call-log import, only those the uploader may see: a number of
   another team's candidate is "unmatched" for them, exactly like an unknown number).
3. Narrowed by what says which application the contact concerns: the thread it belongs to
   (``In-Reply-To``/``References`` naming a message of an application; for a call, the
   team's call or message it answers within the callback window), then the team address it
   was sent to (a team member's address: the requisitions that member works on).
4. When what is left is seen by the same people (one team), the team's usual choice: the
   application with an open silence test, else the most recently active one. Nobody can then
   see the contact who could not see the candidate's other applications already.
5. Otherwise the applications belong to several teams: the contact goes to the unmatched
   queue of those teams (``Contact.queue_requisitions``; ``hiring.policy`` shows it to their
   recruiters only), never silently to one of them.

The reply token of an email the team sent from the app is matched before any of this
(``followups.services``): it names the application exactly.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower

from candidates.models import Application
from followups.models import Contact, MatchStatus
from followups.rules import outreach_before
from hiring.models import OPEN_SILENCE_STATES, Requisition, SilenceTest


@dataclass(frozen=True)
class Route:
    status: str
    candidate_id: int | None = None
    application_id: int | None = None
    #: When queued: the requisitions whose recruiters triage it (empty: every recruiter).
    requisition_ids: tuple[int, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class _App:
    id: int
    candidate_id: int
    requisition_id: int
    manager_id: int
    has_open_test: bool
    updated_at: datetime


class Applications:
    """The applications of some candidates, and (read on first need, once) who sees each."""

    def __init__(self, by_candidate: dict[int, list[_App]]):
        self.by_candidate = by_candidate
        self._recruiters: dict[int, set[int]] | None = None

    def of(self, candidate_ids: Iterable[int]) -> list[_App]:
        return [a for cid in candidate_ids for a in self.by_candidate.get(cid, ())]

    def team(self, app: _App) -> frozenset[int]:
        """The users who see ``app`` (admins aside): its manager and recruiters."""
        if self._recruiters is None:
            # One query for every application loaded: most contacts never need it (a
            # candidate with one application), so it is not read up front.
            requisition_ids = {
                a.requisition_id for apps in self.by_candidate.values() for a in apps
            }
            self._recruiters = defaultdict(set)
            for requisition_id, user_id in Requisition.recruiters.through.objects.filter(
                requisition_id__in=requisition_ids
            ).values_list("requisition_id", "user_id"):
                self._recruiters[requisition_id].add(user_id)
        return frozenset({app.manager_id, *self._recruiters.get(app.requisition_id, ())})


def applications_by_candidate(candidate_ids: Iterable[int], *, visible_to=None) -> Applications:
    """The applications of these candidates (those ``visible_to`` may see, if given), in one
    query; loaded once for many contacts (a call-log chunk), for ``decide``."""
    candidate_ids = set(candidate_ids)
    if not candidate_ids:
        return Applications({})
    applications = Application.objects.filter(candidate_id__in=candidate_ids)
    if visible_to is not None:
        applications = applications.visible_to(visible_to)
    open_test = Exists(
        SilenceTest.objects.filter(application_id=OuterRef("pk"), state__in=OPEN_SILENCE_STATES)
    )
    by_candidate: dict[int, list[_App]] = defaultdict(list)
    for row in (
        applications.annotate(has_open_test=open_test)
        .order_by()
        .values_list(
            "pk",
            "candidate_id",
            "requisition_id",
            "requisition__hiring_manager_id",
            "has_open_test",
            "updated_at",
        )
    ):
        by_candidate[row[1]].append(_App(*row))
    return Applications(by_candidate)


def team_user_ids(addresses: Iterable[str]) -> frozenset[int]:
    """Active users with one of these (lower-cased) addresses: the team members written to."""
    addresses = {a for a in addresses if a}
    if not addresses:
        return frozenset()
    return frozenset(
        get_user_model()
        .objects.annotate(address=Lower("email"))
        .filter(is_active=True, address__in=addresses)
        .values_list("pk", flat=True)
    )


def requisitions_of_users(user_ids: Iterable[int]) -> tuple[int, ...]:
    """The requisitions these users manage or are assigned to."""
    user_ids = set(user_ids)
    if not user_ids:
        return ()
    managed = Requisition.objects.filter(hiring_manager_id__in=user_ids).values_list(
        "pk", flat=True
    )
    assigned = Requisition.recruiters.through.objects.filter(user_id__in=user_ids).values_list(
        "requisition_id", flat=True
    )
    return tuple(sorted({*managed, *assigned}))


def thread_applications(message_ids: Iterable[str]) -> frozenset[int]:
    """Applications of the contacts these Message-IDs name (an email's thread)."""
    message_ids = {m for m in message_ids if m}
    if not message_ids:
        return frozenset()
    return frozenset(
        Contact.objects.filter(external_id__in=message_ids, application__isnull=False)
        .order_by()
        .values_list("application_id", flat=True)
    )


def answered_applications(candidate_ids: Iterable[int], *, occurred_at: datetime) -> frozenset[int]:
    """The application of the team's latest outreach to these candidates that a call or text
    at ``occurred_at`` answers (``followups.rules``' callback rule; empty if none)."""
    latest = (
        outreach_before(occurred_at)
        .filter(candidate_id__in=list(candidate_ids), application__isnull=False)
        .order_by("-occurred_at", "-id")
        .values_list("application_id", flat=True)
        .first()
    )
    return frozenset() if latest is None else frozenset({latest})


def choose(apps: list[_App]) -> _App:
    # The team's usual choice: an open silence test first, then the most recently active.
    return max(apps, key=lambda a: (a.has_open_test, a.updated_at, a.id))


def decide(
    candidate_ids: list[int],
    applications: Applications,
    *,
    identifier: str,
    what: str,
    concerned: frozenset[int] = frozenset(),
    team_users: frozenset[int] = frozenset(),
) -> Route:
    """Steps 3 to 5 of the module's rule, for applications already loaded.

    ``concerned``: applications the contact's thread names. ``team_users``: the team members
    it was sent to (or, outbound, sent by).
    """
    apps = applications.of(candidate_ids)
    if not candidate_ids:
        return Route(MatchStatus.UNMATCHED, note=f"No candidate has the {what} {identifier}.")
    if len(candidate_ids) == 1 and len(apps) <= 1:
        return Route(
            MatchStatus.MATCHED,
            candidate_id=candidate_ids[0],
            application_id=apps[0].id if apps else None,
        )
    # Candidates without an application still make the identifier ambiguous, unless the
    # thread or the team address named an application.
    remaining = set(candidate_ids)
    for narrowed in (
        [a for a in apps if a.id in concerned],
        [a for a in apps if team_users and applications.team(a) & team_users],
    ):
        if narrowed:
            apps, remaining = narrowed, {a.candidate_id for a in narrowed}
            break
    one_team = len({applications.team(a) for a in apps}) <= 1
    if one_team and len(remaining) == 1:
        chosen = choose(apps) if apps else None
        return Route(
            MatchStatus.MATCHED,
            candidate_id=remaining.pop(),
            application_id=chosen.id if chosen else None,
        )
    requisitions = tuple(sorted({a.requisition_id for a in apps}))
    if one_team:
        note = f"{len(remaining)} candidates share the {what} {identifier}."
    else:
        # Nothing names the application: every team it may concern sees it, none gets it.
        note = (
            f"The {what} {identifier} belongs to applications with several teams and nothing "
            "says which one this concerns: attach it to the right one."
        )
    return Route(MatchStatus.AMBIGUOUS, requisition_ids=requisitions, note=note)


def route(
    candidate_ids: Iterable[int],
    *,
    identifier: str,
    what: str,
    concerned: frozenset[int] = frozenset(),
    team_users: frozenset[int] = frozenset(),
) -> Route:
    """The module's rule for one contact whose candidates are known (two queries at most)."""
    candidate_ids = sorted(set(candidate_ids))
    return decide(
        candidate_ids,
        applications_by_candidate(candidate_ids),
        identifier=identifier,
        what=what,
        concerned=concerned,
        team_users=team_users,
    )


def queue_for(contact: Contact, requisition_ids: Iterable[int]) -> None:
    """Record which teams' recruiters triage a queued contact."""
    requisition_ids = list(requisition_ids)
    if requisition_ids:
        contact.queue_requisitions.add(*requisition_ids)

import re
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import DEFERRED, Count, Exists, OuterRef, Prefetch, Q
from django.db.models.functions import JSONObject
from django.db.models.lookups import IContains
from django.shortcuts import get_object_or_404

from candidates.folding import Folded, fold
from candidates.models import (
    Application,
    ApplicationCV,
    Candidate,
    CandidateEmail,
    CandidatePhone,
    InterviewRound,
    Scorecard,
    StageTransition,
)
from candidates.normalize import phone_search_prefix
from hiring.models import Requisition, SilenceTest, Stage

User = get_user_model()

#: Prefetches that apps above this one add to the application page (contacts, promises):
#: registered from their ``AppConfig.ready()``, like the page sections of ``candidates.views``:
#: this layer may not import them.
_page_prefetches: list[Callable[[], list[Prefetch]]] = []


def application_page_prefetch_register(prefetches: Callable[[], list[Prefetch]]) -> None:
    if prefetches not in _page_prefetches:
        _page_prefetches.append(prefetches)


def _json_rows(queryset, fields) -> ArraySubquery:
    """``fields`` of every row of ``queryset``, in its order, as one array column of the outer
    query: a small related list without a round trip of its own. ``fields``: names, or a
    mapping of names to the lookups that give them."""
    mapping = fields if isinstance(fields, dict) else {f: f for f in fields}
    return ArraySubquery(queryset.values(json=JSONObject(**mapping)))


def _prefetched(instance, cache_name: str, model, fields, rows) -> list:
    """Put ``rows`` (from ``_json_rows``) where a prefetch would have: ``instance.<cache_name>
    .all()`` then answers from memory. Fields not read are deferred (loaded if ever touched),
    never defaulted."""
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    names = [f.attname for f in model._meta.concrete_fields]
    objects = []
    for row in rows or ():
        values = [by_name[name].to_python(row[name]) if name in row else DEFERRED for name in names]
        objects.append(model.from_db(None, names, values))
    # A query set of exactly these rows, not ``none()``: code that builds on the relation
    # (``requisition.recruiters.values_list(...)`` in a form handling a POST) must still get
    # them from the database, not an empty answer.
    queryset = model._default_manager.filter(pk__in=[obj.pk for obj in objects])
    queryset._result_cache = objects
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[cache_name] = queryset
    return objects


_EMAIL_FIELDS = ("id", "candidate_id", "address", "is_primary")
_PHONE_FIELDS = ("id", "candidate_id", "number", "label")
#: What the move form and the page read of the pipeline's stages and of the recruiters.
_STAGE_FIELDS = ("id", "pipeline_id", "name", "order", "kind")
_USER_FIELDS = ("id", "username", "first_name", "last_name", "is_active")
_INTERVIEWER_FIELDS = {name: f"user__{name}" for name in _USER_FIELDS}
_SCORECARD_FIELDS = tuple(f.attname for f in Scorecard._meta.concrete_fields)
_SCORECARD_INTERVIEWER = {f"interviewer_{name}": f"interviewer__{name}" for name in _USER_FIELDS}


def application_for_page(*, user, pk: int) -> Application:
    """The application page's data, scoped to what the user may see (404 otherwise).

    The candidate's emails and phones, the pipeline's stages and the requisition's recruiters
    come as JSON columns of the application's own query (each would be a round trip of its
    own, and on a busy server round trips, not rows, set the page's speed)."""
    emails = CandidateEmail.objects.filter(candidate_id=OuterRef("candidate_id")).order_by(
        "-is_primary", "address"
    )
    phones = CandidatePhone.objects.filter(candidate_id=OuterRef("candidate_id")).order_by(
        "label", "number"
    )
    stages = Stage.objects.filter(pipeline_id=OuterRef("requisition__pipeline_id")).order_by(
        "order", "id"
    )
    recruiters = User.objects.filter(recruited_requisitions=OuterRef("requisition_id")).order_by(
        "id"
    )
    queryset = (
        Application.objects.visible_to(user)
        .select_related(
            "candidate",
            "stage",
            "requisition__pipeline",
            "requisition__hiring_manager",
        )
        .annotate_scorecard_average()
        .annotate(
            page_emails=_json_rows(emails, _EMAIL_FIELDS),
            page_phones=_json_rows(phones, _PHONE_FIELDS),
            page_stages=_json_rows(stages, _STAGE_FIELDS),
            page_recruiters=_json_rows(recruiters, _USER_FIELDS),
        )
        .prefetch_related(
            Prefetch("cvs", queryset=ApplicationCV.objects.select_related("uploaded_by")),
            # Interviewers and scorecards as JSON columns of the rounds' query: nested
            # prefetches would be skipped when there are no rounds (a count that varies).
            Prefetch(
                "rounds",
                queryset=InterviewRound.objects.order_by("sequence").annotate(
                    page_interviewers=_json_rows(
                        InterviewRound.interviewers.through.objects.filter(
                            interviewround_id=OuterRef("pk")
                        ).order_by("user__first_name", "user__username", "user_id"),
                        _INTERVIEWER_FIELDS,
                    ),
                    page_scorecards=_json_rows(
                        Scorecard.objects.filter(round_id=OuterRef("pk")).order_by(
                            "submitted_at", "id"
                        ),
                        {**{f: f for f in _SCORECARD_FIELDS}, **_SCORECARD_INTERVIEWER},
                    ),
                ),
            ),
            Prefetch(
                "silence_tests",
                queryset=SilenceTest.objects.select_related("announced_by", "stage").order_by(
                    "-announced_at", "-id"
                ),
            ),
            Prefetch(
                "transitions",
                queryset=StageTransition.objects.select_related(
                    "from_stage", "to_stage", "actor"
                ).order_by("-at", "-id"),
            ),
        )
    )
    for prefetches in _page_prefetches:
        queryset = queryset.prefetch_related(*prefetches())
    application = get_object_or_404(queryset, pk=pk)
    # Loaded through visible_to(user): rules that ask "may this user see it?" need not ask the
    # database again for this instance (evidence.policy.application_visible).
    application.loaded_visible_to_user_id = user.pk
    candidate, requisition = application.candidate, application.requisition
    _prefetched(candidate, "emails", CandidateEmail, _EMAIL_FIELDS, application.page_emails)
    _prefetched(candidate, "phones", CandidatePhone, _PHONE_FIELDS, application.page_phones)
    # The forms' choices (stages to move to, the team to name) render from these.
    _prefetched(requisition.pipeline, "stages", Stage, _STAGE_FIELDS, application.page_stages)
    _prefetched(requisition, "recruiters", User, _USER_FIELDS, application.page_recruiters)
    for interview_round in application.rounds.all():
        _prefetched(
            interview_round, "interviewers", User, _USER_FIELDS, interview_round.page_interviewers
        )
        cards = _prefetched(
            interview_round,
            "scorecards",
            Scorecard,
            _SCORECARD_FIELDS,
            interview_round.page_scorecards,
        )
        for card, row in zip(cards, interview_round.page_scorecards or (), strict=True):
            card.interviewer = User.from_db(
                None,
                list(_USER_FIELDS),
                [row[f"interviewer_{name}"] for name in _USER_FIELDS],
            )
            card.round = interview_round
    return application


def application_page_version(*, user, pk: int, version):
    """The application page's first question (``candidates.page_cache``): one row if ``user``
    may see application ``pk`` — the page's ``version`` (an expression over the application
    row, ``candidates.sql.application_page_version_expression``) and the candidate's other
    applications the user may also see (as ``other_applications`` lists them) — none
    otherwise."""
    others = (
        Application.objects.visible_to(user)
        .filter(candidate_id=OuterRef("candidate_id"))
        .exclude(pk=OuterRef("pk"))
        .order_by(*Application._meta.ordering)
    )
    return (
        Application.objects.visible_to(user)
        .filter(pk=pk)
        .annotate(
            page_version=version,
            page_others=_json_rows(
                others, {"id": "id", "title": "requisition__title", "stage": "stage__name"}
            ),
        )
        .order_by()
        .values_list("page_version", "page_others")
    )


def other_applications(*, user, application: Application):
    """The candidate's applications on other requisitions the user may also see."""
    return (
        Application.objects.visible_to(user)
        .filter(candidate_id=application.candidate_id)
        .exclude(pk=application.pk)
        .select_related("requisition", "stage")
    )


def candidate_for_new_application(user, *, emails) -> Candidate | None:
    """The existing candidate a new application of ``user``'s should join, if any.

    Only candidates the user may already see are considered: an address that belongs to
    another team's candidate neither links to that person nor reveals that they exist (the new
    application gets a candidate of its own; inbound mail from the shared address is then
    routed by ``followups.routing``). Raises ``ValueError`` when the addresses name several
    candidates the user sees.
    """
    if not emails:
        return None
    matches = list(
        Candidate.objects.visible_to(user)
        .filter(emails__address__in=list(emails))
        .values_list("pk", flat=True)
        .distinct()[:2]
    )
    if len(matches) > 1:
        raise ValueError(
            "These addresses belong to different existing candidates; ask an admin to merge "
            "them before adding an application."
        )
    return Candidate.objects.get(pk=matches[0]) if matches else None


def stage_usage_counts(stage_ids) -> dict[int, int]:
    """Per stage, the applications in it now or moved into it (history), two grouped queries:
    the larger of the two, since an application in a stage normally has history into it."""
    counts: dict[int, int] = {}
    current = (
        Application.objects.filter(stage_id__in=stage_ids)
        .order_by()
        .values("stage_id")
        .annotate(n=Count("pk"))
        .values_list("stage_id", "n")
    )
    history = (
        StageTransition.objects.filter(to_stage_id__in=stage_ids)
        .order_by()
        .values("to_stage_id")
        .annotate(n=Count("application_id", distinct=True))
        .values_list("to_stage_id", "n")
    )
    for stage_id, n in [*current, *history]:
        counts[stage_id] = max(counts.get(stage_id, 0), n)
    return counts


# --- Find anyone (the top bar's search) --------------------------------------------------------

#: Longer queries are refused (a name, an address or a number is far shorter): bounded work.
SEARCH_MAX_LENGTH = 100
#: The most applications one search lists.
SEARCH_LIMIT = 50
#: A query with at least this many digits is also tried as (part of) a phone number.
SEARCH_MIN_PHONE_DIGITS = 4
#: Words of a name query beyond this are ignored (each is a condition of its own).
SEARCH_MAX_WORDS = 6


def candidate_match(*, user, query: str) -> Q | None:
    """The one rule of whom a typed query finds, for every search box (the top bar's Find
    anyone, quick log, attaching an unmatched contact): a condition on the applications, or
    ``None`` for a query too short to search.

    * a name: every word in the first or last name, in any order, ignoring case and accents
      ("raman, priya" and "Jose" find Priya Raman and José);
    * part of an email address;
    * a phone number in any format, or any run of its digits: ``+1 415…``, ``(415) 555-0100``,
      ``7700 900``; and in the national format of a requisition's country, read as the
      add-candidate form reads it, for that requisition's candidates only (``070-123`` is a
      Swedish number on a Swedish requisition, a German one on a German requisition).

    Raises ``ValueError`` for a query longer than ``SEARCH_MAX_LENGTH``, before any work on it.
    """
    if len(query) > SEARCH_MAX_LENGTH * 2:
        raise ValueError(f"Search for at most {SEARCH_MAX_LENGTH} characters.")
    # Control characters (NUL, which PostgreSQL text cannot hold) never belong to a name.
    query = " ".join("".join(ch for ch in query if ch.isprintable()).split())
    if len(query) > SEARCH_MAX_LENGTH:
        raise ValueError(f"Search for at most {SEARCH_MAX_LENGTH} characters.")
    if len(query) < 2:
        return None
    words = [word for word in re.split(r"[\s,;]+", query) if word][:SEARCH_MAX_WORDS]
    by_name = Q()
    for word in words:
        folded = fold(word)
        by_name &= Q(IContains(Folded("candidate__first_name"), folded)) | Q(
            IContains(Folded("candidate__last_name"), folded)
        )
    condition = by_name | Exists(
        CandidateEmail.objects.filter(
            candidate_id=OuterRef("candidate_id"), address__icontains=query
        )
    )
    digits = re.sub(r"\D", "", query)
    if len(digits) >= SEARCH_MIN_PHONE_DIGITS:
        runs = {digits}
        if digits.startswith("00"):
            # "00" is how most of the world dials "+": 00 1 212… is +1 212… whatever the
            # requisition's country (the US itself dials 011, which its own format reads).
            runs.add(digits[2:])
        for run in sorted(runs):
            condition |= Exists(
                CandidatePhone.objects.filter(
                    candidate_id=OuterRef("candidate_id"), number__contains=run
                )
            )
        countries = (
            Requisition.objects.visible_to(user).order_by().values_list("country", flat=True)
        )
        for country in sorted(set(countries)):
            # Trunk prefixes other than 0 (8 in Russia, 06 in Hungary) need the country's rule.
            prefix = phone_search_prefix(query, region=country)
            if prefix is not None:
                condition |= Q(requisition__country=country) & Exists(
                    CandidatePhone.objects.filter(
                        candidate_id=OuterRef("candidate_id"), number__startswith=prefix
                    )
                )
    return condition


def application_search(*, user, query: str):
    """Find anyone: applications the user may see whose candidate ``candidate_match``es the
    query, by name. Two queries whatever matches (the countries of the user's requisitions,
    then the applications)."""
    condition = candidate_match(user=user, query=query)
    if condition is None:
        return []
    return list(
        Application.objects.visible_to(user)
        .filter(condition)
        .select_related("candidate", "requisition", "stage")
        .annotate_primary_email()
        .order_by("candidate__last_name", "candidate__first_name", "-updated_at", "id")[
            :SEARCH_LIMIT
        ]
    )


def cvs_for_export(*, candidate, viewer):
    """The candidate's CVs the exporter may see (``viewer`` None: the system, every one)."""
    cvs = ApplicationCV.objects.filter(application__candidate=candidate)
    if viewer is not None:
        cvs = cvs.visible_to(viewer)
    return cvs.order_by("uploaded_at", "pk")


def cv_export_section(*, candidate, viewer) -> dict:
    """Export hook (``privacy``): the CVs' records; the archive carries the files under
    ``cvs/``."""
    return {
        "cvs": [
            {
                "id": cv.pk,
                "application_id": cv.application_id,
                "filename": cv.filename,
                "content_type": cv.content_type,
                "size": cv.size,
                "uploaded_at": cv.uploaded_at,
                "archive_path": f"cvs/{cv.pk}-{cv.filename}",
            }
            for cv in cvs_for_export(candidate=candidate, viewer=viewer)
        ]
    }

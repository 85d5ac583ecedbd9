"""Who sees which scorecards: blind until you have rated (the one place this rule lives).

Like Greenhouse: an interviewer — the hiring manager included — sees the other scorecards of
a round only once they have submitted their own for it, so the first opinion read cannot
anchor theirs. The hiring manager or an admin may *reveal* a round (for a debrief, or a
decision when someone will never submit): everyone who may see the application then sees all
of it. Someone who has not rated a round sees only how many scorecards it has.

Averages follow the same rule on every page that shows one — the application page, the board,
the ranking (and its CSV and sort): an application's average is shown to someone only when no
rating of it is hidden from them, else they see none (an average would give away what the
blind rule hides). No one is exempt, the hiring manager included: they rate the round or reveal
it, and the average appears. ``sees_every_rating`` is the rule in Python, for fetched rounds;
``sees_every_rating_sql`` the same rule as a condition on an Application query (the board and
the ranking compute averages in SQL); tests/integration/test_scorecard_traits.py checks they
agree on generated rounds.
"""

from django.db.models import Exists, OuterRef, Q

from accounts.roles import is_admin
from candidates.models import InterviewRound, Scorecard


def may_reveal_scorecards(user, application) -> bool:
    """The requisition's hiring manager or an admin (the people who decide)."""
    return bool(is_admin(user) or application.requisition.hiring_manager_id == user.pk)


def scorecards_visible_to(user, interview_round, scorecards) -> list:
    """The scorecards of ``interview_round`` (already fetched) that ``user`` may read."""
    scorecards = list(scorecards)
    if interview_round.scorecards_revealed_at is not None:
        return scorecards
    if any(card.interviewer_id == user.pk for card in scorecards):
        return scorecards
    return []


def sees_every_rating(user, rounds) -> bool:
    """Whether nothing on the application is hidden from ``user``: the page shows the average
    of every rating only then (an average would give away what the blind rule hides)."""
    return all(
        len(scorecards_visible_to(user, r, r.scorecards.all())) == len(r.scorecards.all())
        for r in rounds
    )


def sees_every_rating_sql(user) -> Q:
    """``sees_every_rating`` as a condition on an Application row: no round of it has
    scorecards, is unrevealed, and lacks one by ``user``."""
    hidden_rounds = InterviewRound.objects.filter(
        application_id=OuterRef("pk"), scorecards_revealed_at__isnull=True
    ).filter(
        Exists(Scorecard.objects.filter(round_id=OuterRef("pk"))),
        ~Exists(Scorecard.objects.filter(round_id=OuterRef("pk"), interviewer_id=user.pk)),
    )
    return ~Q(Exists(hidden_rounds))

"""Who sees which scorecards: blind until you have rated (the one place this rule lives).

Like Greenhouse: an interviewer — the hiring manager included — sees the other scorecards of
a round only once they have submitted their own for it, so the first opinion read cannot
anchor theirs. The hiring manager or an admin may *reveal* a round (for a debrief, or a
decision when someone will never submit): everyone who may see the application then sees all
of it. Someone who has not rated a round sees only how many scorecards it has.
"""

from accounts.roles import is_admin


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

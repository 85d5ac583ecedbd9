"""The accent-folding pair (candidates/folding.py): Python's fold of a query and PostgreSQL's
translate() of a stored name must agree, or a search would miss the name it was typed for."""

from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from candidates.folding import FOLD_FROM, FOLD_TO, Folded, fold
from candidates.models import Candidate
from tests.factories import CandidateFactory

NAMES = st.text(alphabet=st.sampled_from(FOLD_FROM + "abcXYZ -'ßæÆ中文Ωж"), min_size=0, max_size=40)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # read-only queries
@given(NAMES)
def test_python_and_sql_fold_every_name_alike(db, name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT translate(%s, %s, %s)", [name, FOLD_FROM, FOLD_TO])
        assert cursor.fetchone()[0] == fold(name)


def test_the_expression_folds_stored_names_as_the_query_is_folded(db):
    CandidateFactory(first_name="Zoë", last_name="Ångström-Dvořák")
    row = Candidate.objects.annotate(
        first=Folded("first_name"), last=Folded("last_name")
    ).values_list("first", "last")
    assert list(row) == [("Zoe", "Angstrom-Dvorak")]


def test_folding_keeps_case_and_leaves_letters_without_a_base_alone():
    assert fold("ÉLODIE élodie") == "ELODIE elodie"
    assert fold("Straße Æsir Øystein Łódź") == "Straße Æsir Oystein Lodz"

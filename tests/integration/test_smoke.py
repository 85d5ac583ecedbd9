from tests.factories import ApplicationFactory


def test_application_factory_builds_a_candidate_in_the_first_stage():
    application = ApplicationFactory()
    assert application.stage.kind == "applied"
    assert application.candidate.emails.get().is_primary

"""Configurable scorecard traits (issue #15) in a real browser: an admin (not a superuser)
renames a trait on the pipeline page; an interviewer then rates it under its new name."""

import pytest
from playwright.sync_api import expect

from hiring.services import scorecard_traits_default_create
from tests.factories import (
    ApplicationFactory,
    InterviewRoundFactory,
    RequisitionFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_admin_renames_a_trait_and_the_interviewer_rates_it_under_the_new_name(
    live_server, log_in, page
):
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(recruiters=[recruiter])
    pipeline = requisition.pipeline
    scorecard_traits_default_create(pipeline=pipeline)
    application = ApplicationFactory(requisition=requisition, interviewing=True)
    interview_round = InterviewRoundFactory(application=application, sequence=1)

    # A superuser here, as in test_stage_editor.py: the browser suite's transactional tests
    # restore the Admins group without its permission rows after some earlier tests; the
    # non-superuser admin's rename is tested in tests/integration/test_scorecard_traits.py.
    log_in(UserFactory(admin=True, is_superuser=True), form=False)
    page.goto(f"{live_server.url}/admin/hiring/pipeline/{pipeline.pk}/change/")
    label = page.locator("input[name^='scorecard_traits-'][name$='-label'][value='Tenacity']")
    label.fill("Grit under pressure")
    page.locator("input[name='_save']").click()
    page.wait_for_url(f"{live_server.url}/admin/hiring/pipeline/")

    page.context.clear_cookies()
    log_in(recruiter, form=False)
    page.goto(
        f"{live_server.url}/applications/{application.pk}/rounds/{interview_round.pk}/scorecard/"
    )
    expect(page.locator("legend", has_text="Grit under pressure")).to_be_visible()
    expect(page.locator("legend", has_text="Tenacity")).to_have_count(0)

"""A hiring manager reads the ranking: expands a score breakdown and exports the CSV."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followups.models import Channel
from hiring.models import SilenceTest
from scoring.scores import scores_recompute
from silence.services import silence_tests_sweep
from tests.factories import ContactFactory, RequisitionFactory, SilenceTestFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _closed_test(requisition, first_name, last_name, channel=None):
    test = SilenceTestFactory(
        closing=True,
        application__requisition=requisition,
        application__candidate__first_name=first_name,
        application__candidate__last_name=last_name,
    )
    if channel:
        ContactFactory(
            application=test.application,
            channel=channel,
            occurred_at=test.deadline_at + dt.timedelta(hours=3),
            summary="Following up as promised.",
        )
    return test


def test_manager_expands_a_breakdown_and_downloads_the_ranking_csv(live_server, log_in):
    manager = UserFactory(hiring_manager=True)
    requisition = RequisitionFactory(title="Enterprise AE", hiring_manager=manager)
    # Created in the opposite order to the ranking, with names in reverse alphabetical order,
    # so neither id nor name order can pass for the ranking.
    tests = [
        _closed_test(requisition, "Abe", "Quiet"),
        _closed_test(requisition, "Mona", "Inbox", Channel.EMAIL),
        _closed_test(requisition, "Zoe", "Ringwald", Channel.PHONE),
    ]
    now = timezone.now()
    assert silence_tests_sweep(now=now).closed == 3
    scores_recompute(application_ids=[t.application_id for t in tests], now=now)
    assert set(SilenceTest.objects.values_list("outcome", flat=True)) == {"silent", "reached_out"}
    ranked = ["Zoe Ringwald", "Mona Inbox", "Abe Quiet"]

    page = log_in(manager, form=False)
    page.goto(f"{live_server.url}/requisitions/{requisition.pk}/ranking/")
    expect(page.get_by_role("heading", name="Ranking")).to_be_visible()
    names = page.locator("table.ranking tbody tr:not(.group-row) td.who a")
    expect(names).to_have_text(ranked)

    top = page.locator("table.ranking tbody tr", has_text="Zoe Ringwald")
    breakdown = top.locator("details.breakdown")
    base_line = breakdown.locator("li", has_text="Reached out unprompted after the deadline")
    expect(base_line).to_be_hidden()
    breakdown.locator("summary").click()
    expect(breakdown).to_have_attribute("open", "")
    expect(base_line).to_be_visible()
    expect(breakdown.locator("li", has_text="after the deadline").first).to_be_visible()
    expect(breakdown).to_contain_text("Weights v")
    # Only the clicked row opened.
    expect(page.locator("details.breakdown[open]")).to_have_count(1)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"ranking-{requisition.pk}.csv"
    with open(download.path(), encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(io.StringIO(fh.read())))
    header, body = rows[0], rows[1:]
    assert header == [
        "rank",
        "candidate",
        "email",
        "stage",
        "test_state",
        "outcome",
        "score",
        "comparable",
        "breakdown",
        "scorecard_average",
        "override",
    ]
    records = [dict(zip(header, row, strict=True)) for row in body]
    assert [r["candidate"] for r in records] == ranked
    assert [r["rank"] for r in records] == ["1", "2", "3"]
    assert [r["outcome"] for r in records] == ["reached_out", "reached_out", "silent"]
    scores = [int(r["score"]) for r in records]
    assert scores[0] > scores[1] > scores[2] == 0
    assert "Reached out unprompted after the deadline" in records[0]["breakdown"]
    assert "silent" in records[2]["breakdown"]


def test_downloaded_csv_has_the_rows_of_the_filtered_and_sorted_page(live_server, log_in):
    manager = UserFactory(hiring_manager=True)
    requisition = RequisitionFactory(hiring_manager=manager)
    tests = [
        _closed_test(requisition, "Abe", "Quiet"),
        _closed_test(requisition, "Zoe", "Ringwald", Channel.PHONE),
        _closed_test(requisition, "Mona", "Inbox", Channel.EMAIL),
    ]
    now = timezone.now()
    silence_tests_sweep(now=now)
    scores_recompute(application_ids=[t.application_id for t in tests], now=now)

    page = log_in(manager, form=False)
    page.goto(f"{live_server.url}/requisitions/{requisition.pk}/ranking/")
    page.locator("form.filters select[name=outcome]").select_option("reached_out")
    page.locator("form.filters select[name=sort]").select_option("name")
    page.get_by_role("button", name="Apply").click()
    names = page.locator("table.ranking tbody tr:not(.group-row) td.who a")
    expect(names).to_have_text(["Mona Inbox", "Zoe Ringwald"])

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    with open(download_info.value.path(), encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # What the page shows, in its order: the silent candidate is filtered out, names sorted.
    assert [row["candidate"] for row in rows] == ["Mona Inbox", "Zoe Ringwald"]
    assert {row["outcome"] for row in rows} == {"reached_out"}

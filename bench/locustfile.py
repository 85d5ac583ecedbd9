"""Locust users for ``python -m bench.load``: dashboards, contact logging and webhooks mixed.

Reads the fixtures (sessions, CSRF secret, requisition, applications, candidate addresses and
numbers) from the JSON file named by ``BENCH_FIXTURES``; writes the outcome (requests, server
errors, p95 overall and per request name) to ``BENCH_LOAD_RESULT`` when locust stops. Sessions
are sent as an explicit Cookie header: the app's cookies are Secure (DEBUG off), which HTTP
clients rightly never send over plain-HTTP loopback.
"""

import base64
import itertools
import json
import os
import random
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from locust import HttpUser, between, events, task
from twilio.request_validator import RequestValidator

FIXTURES = json.loads(open(os.environ["BENCH_FIXTURES"]).read())  # noqa: SIM115
TEAM_NUMBER = "+12125550100"
_sequence = itertools.count()
SERVER_ERRORS = {"count": 0, "by_name": {}}


@events.request.add_listener
def _count_server_errors(name, response, **_kwargs):
    if response is not None and response.status_code >= 500:
        SERVER_ERRORS["count"] += 1
        SERVER_ERRORS["by_name"][name] = SERVER_ERRORS["by_name"].get(name, 0) + 1


@events.quitting.add_listener
def _write_result(environment, **_kwargs):
    stats = environment.stats
    result = {
        "requests": stats.total.num_requests,
        "failures": stats.total.num_failures,
        "server_errors": SERVER_ERRORS["count"],
        "server_errors_by_name": SERVER_ERRORS["by_name"],
        "requests_per_second": stats.total.total_rps,
        "p50_ms": stats.total.get_response_time_percentile(0.50),
        "p95_ms": stats.total.get_response_time_percentile(0.95),
        "p99_ms": stats.total.get_response_time_percentile(0.99),
        "by_name": {
            entry.name: {
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "p95_ms": entry.get_response_time_percentile(0.95),
            }
            for entry in stats.entries.values()
        },
    }
    with open(os.environ["BENCH_LOAD_RESULT"], "w") as out:
        json.dump(result, out)


class _Session(HttpUser):
    abstract = True
    sessions_key = "manager_sessions"

    def on_start(self):
        session = random.choice(FIXTURES[self.sessions_key])
        self.cookie = f"sessionid={session}; csrftoken={FIXTURES['csrf_secret']}"

    def get(self, path: str, name: str):
        self.client.get(path, name=name, headers={"Cookie": self.cookie}, allow_redirects=False)


class HiringManager(_Session):
    """Reads the dashboards of the requisition they own."""

    weight = 3
    wait_time = between(0.5, 2)

    @task(3)
    def home(self):
        self.get("/", "home")

    @task(3)
    def ranking(self):
        self.get(f"/requisitions/{FIXTURES['requisition']}/ranking/", "ranking")

    @task(2)
    def board(self):
        self.get(f"/requisitions/{FIXTURES['requisition']}/", "board")

    @task(1)
    def silence_board(self):
        self.get(f"/requisitions/{FIXTURES['requisition']}/silence/", "silence board")

    @task(1)
    def insights(self):
        self.get(f"/requisitions/{FIXTURES['requisition']}/insights/", "insights")

    @task(1)
    def requisitions(self):
        self.get("/requisitions/", "requisition list")


class Recruiter(_Session):
    """Logs calls on the requisition's applications (CSRF-protected POST), reads them back."""

    weight = 2
    wait_time = between(0.5, 2)
    sessions_key = "recruiter_sessions"

    @task(2)
    def log_contact(self):
        application = random.choice(FIXTURES["applications"])
        occurred = datetime.now(UTC) - timedelta(minutes=random.randrange(5, 600))
        with self.client.post(
            f"/applications/{application}/contacts/",
            name="log contact",
            data={
                "channel": "phone",
                "direction": "inbound",
                "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"),
                "duration": "4:30",
                "summary": "Called back with two references, load test.",
                "csrfmiddlewaretoken": FIXTURES["csrf_secret"],
            },
            headers={"Cookie": self.cookie},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # 302: logged; 200: asked to confirm (would contaminate a running silence test).
            if response.status_code not in (200, 302):
                response.failure(f"HTTP {response.status_code}")

    @task(1)
    def application(self):
        application = random.choice(FIXTURES["applications"])
        self.get(f"/applications/{application}/", "application")


class Webhooks(HttpUser):
    """Twilio (signed SMS) and anymail (basic-auth Postmark inbound email) deliveries."""

    weight = 1
    wait_time = between(0.2, 1)

    @task
    def sms(self):
        n = next(_sequence)
        params = {
            "MessageSid": f"SMload{os.getpid()}x{n}",
            "From": random.choice(FIXTURES["phones"]),
            "To": TEAM_NUMBER,
            "Body": "Hi, just checking in on next steps. Thanks!",
            "NumMedia": "0",
            "SmsStatus": "received",
        }
        path = "/webhooks/twilio/sms/"
        signature = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"]).compute_signature(
            self.host + path, params
        )
        self.client.post(path, data=params, headers={"X-Twilio-Signature": signature}, name="sms")

    @task
    def email(self):
        n = next(_sequence)
        message = EmailMessage()
        message["From"] = random.choice(FIXTURES["emails"])
        message["To"] = "hiring@persist.example"
        message["Subject"] = "Following up"
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(idstring=f"load{os.getpid()}x{n}")
        message.set_content("Following up on our call: my 30-60-90 day plan is attached.\n")
        auth = base64.b64encode(os.environ["ANYMAIL_WEBHOOK_SECRET"].encode()).decode()
        self.client.post(
            "/webhooks/email/postmark/",
            json={"RecordType": "Inbound", "RawEmail": message.as_string()},
            headers={"Authorization": f"Basic {auth}"},
            name="email webhook",
        )

"""Outbound webhooks: the outbox written with each state change, Standard Webhooks signatures
checked by the reference verifier (the ``standardwebhooks`` package), retries with backoff,
the delivery log, ordering per application, SSRF refusal, the Slack / Teams digest."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.utils import timezone
from django_q.models import Schedule
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from candidates.services import application_move
from followups.models import Channel, Contact, ContactSource, Direction
from followups.recording import contact_record
from hiring import events
from hiring.models import SilenceDigest, StageKind
from hiring.schedules import TASK_FUNCS, WEBHOOK_SENDER
from integrations import services, signing
from integrations.models import Delivery, DeliveryState, Endpoint, EndpointKind
from privacy.services import candidate_erase
from silence.services import silence_tests_sweep
from tests.factories import (
    ApplicationFactory,
    ContactFactory,
    RequisitionFactory,
    SilenceTestFactory,
    UserFactory,
    stage_of,
)

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class Receiver:
    """A real HTTP receiver on a loopback port, in a thread of the test process. ``down``
    answers 503 (the receiver is up but failing); ``received`` keeps every request."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self.down = False
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received.append(
                        ({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status = 503 if receiver.down else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"unavailable" if status == 503 else b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/persist"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        if self.thread.is_alive():
            self.server.shutdown()
            self.server.server_close()
            self.thread.join()

    def payloads(self):
        return [json.loads(body) for _headers, body in self.received]


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    server = Receiver()
    yield server
    server.close()


def _endpoint(url, names, **kwargs):
    return services.endpoint_create(
        name="ATS", kind=EndpointKind.STANDARD, url=url, event_names=names, **kwargs
    )


def _move(application, kind, *, at=None):
    return application_move(
        application=application,
        to_stage=stage_of(application.requisition, kind),
        actor=application.requisition.hiring_manager,
        reason="Progressing",
        at=at,
    )


def _hand_rolled_verify(secret: str, headers: dict, body: bytes) -> bool:
    """The spec's check written out independently of the app's signing module."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body.decode()}"
    expected = base64.b64encode(hmac.new(key, signed.encode(), hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(part.split(",", 1)[1], expected)
        for part in headers["webhook-signature"].split()
    )


# --- Signed delivery ----------------------------------------------------------------------------


def test_a_stage_change_is_delivered_once_signed_as_the_reference_verifier_expects(receiver):
    endpoint = _endpoint(receiver.url, [events.APPLICATION_STAGE_CHANGED])
    assert endpoint.secret.startswith("whsec_")
    application = ApplicationFactory()

    transition = _move(application, StageKind.SCREEN)
    assert Delivery.objects.get().state == DeliveryState.PENDING  # the outbox row, same transaction

    assert services.deliveries_send() == (1, 0)
    [(headers, body)] = receiver.received
    # The reference implementation accepts it (and returns the parsed payload) …
    verified = Webhook(endpoint.secret).verify(body, headers)
    assert verified["type"] == "application.stage_changed"
    assert verified["data"]["transition_id"] == transition.pk
    assert verified["data"]["application"]["id"] == application.pk
    assert verified["data"]["to_stage"]["name"] == transition.to_stage.name
    # … and so does a verifier written from the spec.
    assert _hand_rolled_verify(endpoint.secret, headers, body)
    # No free text and no contact data travel: the move's reason stays home.
    assert "Progressing" not in body.decode()
    assert "@" not in body.decode()

    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status, delivery.last_error) == (
        DeliveryState.DELIVERED,
        1,
        200,
        "",
    )
    assert headers["webhook-id"] == delivery.message_id
    # Sent is sent: nothing left for the next run.
    assert services.deliveries_send() == (0, 0)
    assert len(receiver.received) == 1


def test_the_reference_verifier_refuses_a_tampered_body_or_another_secret(receiver):
    endpoint = _endpoint(receiver.url, [events.APPLICATION_STAGE_CHANGED])
    _move(ApplicationFactory(), StageKind.SCREEN)
    services.deliveries_send()
    [(headers, body)] = receiver.received
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(body.replace(b"screen", b"hired"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.secret_generate()).verify(body, headers)


def test_no_outbox_row_without_a_subscribed_active_endpoint(receiver):
    _endpoint(receiver.url, [events.SCORE_CHANGED])
    Endpoint.objects.create(
        name="off",
        url=receiver.url,
        secret="whsec_AAAA",
        events=[events.CONTACT_RECORDED],
        active=False,
    )
    _move(ApplicationFactory(), StageKind.SCREEN)
    ContactFactory()  # not through the recording action: no event either
    assert not Delivery.objects.exists()


def test_the_outbox_row_rolls_back_with_the_state_change(receiver):
    _endpoint(receiver.url, [events.APPLICATION_STAGE_CHANGED])
    application = ApplicationFactory()

    def move_then_fail():
        with transaction.atomic():
            _move(application, StageKind.SCREEN)
            raise RuntimeError("the request failed after the move")

    with pytest.raises(RuntimeError):
        move_then_fail()
    assert not Delivery.objects.exists()


def test_the_sender_is_queued_only_after_the_commit(receiver, django_capture_on_commit_callbacks):
    _endpoint(receiver.url, [events.APPLICATION_STAGE_CHANGED])
    with django_capture_on_commit_callbacks() as callbacks:
        _move(ApplicationFactory(), StageKind.SCREEN)
    assert callbacks, "a send is asked for once the move commits"
    assert receiver.received == []  # nothing left the process inside the transaction


# --- Retries, backoff, the log ----------------------------------------------------------------


def test_a_failing_delivery_is_retried_with_exponential_backoff_and_logged(receiver):
    with time_machine.travel(START, tick=False) as clock:
        endpoint = _endpoint(receiver.url, [events.APPLICATION_STAGE_CHANGED])
        _move(ApplicationFactory(), StageKind.SCREEN)
        receiver.down = True

        assert services.deliveries_send() == (0, 1)
        delivery = Delivery.objects.get()
        assert delivery.attempts == 1
        assert delivery.last_status == 503
        assert delivery.last_error.startswith("HTTP 503")
        assert delivery.next_attempt_at == START + dt.timedelta(seconds=30)
        endpoint.refresh_from_db()
        assert endpoint.failing_since == START

        clock.move_to(START + dt.timedelta(seconds=29))
        assert services.deliveries_send() == (0, 0)  # not due yet: no request at all
        assert len(receiver.received) == 1

        clock.move_to(START + dt.timedelta(seconds=30))
        assert services.deliveries_send() == (0, 1)
        delivery.refresh_from_db()
        # Doubled: the second failure waits a minute.
        assert delivery.next_attempt_at == START + dt.timedelta(seconds=90)

        receiver.down = False
        clock.move_to(START + dt.timedelta(seconds=90))
        assert services.deliveries_send() == (1, 0)
        delivery.refresh_from_db()
        assert (delivery.state, delivery.attempts, delivery.last_status, delivery.last_error) == (
            DeliveryState.DELIVERED,
            3,
            200,
            "",
        )
        endpoint.refresh_from_db()
        assert endpoint.failing_since is None
        # Every attempt carried the same webhook-id, each its own timestamp and signature.
        ids = {headers["webhook-id"] for headers, _body in receiver.received}
        stamps = [int(headers["webhook-timestamp"]) for headers, _body in receiver.received]
        assert ids == {delivery.message_id}
        assert stamps == [
            int(START.timestamp()),
            int(START.timestamp()) + 30,
            int(START.timestamp()) + 90,
        ]


def test_backoff_doubles_from_thirty_seconds_up_to_an_hour():
    assert [signing.backoff(n).total_seconds() for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]


def test_an_unreachable_receiver_is_a_logged_failure_not_an_exception(receiver):
    _endpoint(receiver.url, [events.APPLICATION_STAGE_CHANGED])
    _move(ApplicationFactory(), StageKind.SCREEN)
    receiver.close()  # nothing listens on the port any more
    assert services.deliveries_send() == (0, 1)
    delivery = Delivery.objects.get()
    assert delivery.last_status is None
    assert "Connection" in delivery.last_error or "refused" in delivery.last_error.lower()


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_admin_told(
    receiver, django_capture_on_commit_callbacks
):
    admin = UserFactory(admin=True, email="ops@team.example")
    with time_machine.travel(START, tick=False) as clock:
        endpoint = _endpoint(receiver.url, [events.APPLICATION_STAGE_CHANGED], actor=admin)
        _move(ApplicationFactory(), StageKind.SCREEN)
        receiver.down = True
        services.deliveries_send()
        clock.move_to(START + dt.timedelta(hours=23, minutes=59))
        services.deliveries_send()
        assert Endpoint.objects.get().active
        clock.move_to(START + dt.timedelta(days=1))
        with django_capture_on_commit_callbacks(execute=True):
            services.deliveries_send()

    endpoint.refresh_from_db()
    assert not endpoint.active
    assert endpoint.disabled_reason
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.PENDING  # kept for when it is enabled again
    [message] = mail.outbox
    assert message.to == ["ops@team.example"]
    assert "disabled" in message.subject

    # Disabled: nothing is attempted, however long we wait …
    tried = len(receiver.received)
    with time_machine.travel(START + dt.timedelta(days=2), tick=False):
        assert services.deliveries_send() == (0, 0)
        assert len(receiver.received) == tried
        # … until an admin enables it again.
        receiver.down = False
        services.endpoints_enable(endpoint_ids=[endpoint.pk], now=timezone.now())
        assert services.deliveries_send() == (1, 0)


def test_redeliver_sends_the_same_event_again_with_the_same_webhook_id(receiver):
    _endpoint(receiver.url, [events.APPLICATION_STAGE_CHANGED])
    _move(ApplicationFactory(), StageKind.SCREEN)
    services.deliveries_send()
    delivery = Delivery.objects.get()
    services.deliveries_redeliver(delivery_ids=[delivery.pk], now=timezone.now())
    assert services.deliveries_send() == (1, 0)
    first, second = receiver.received
    assert first[0]["webhook-id"] == second[0]["webhook-id"] == delivery.message_id
    assert first[1] == second[1]
    delivery.refresh_from_db()
    assert delivery.attempts == 2


# --- Order and exactly-once per application ------------------------------------------------


def test_a_receiver_down_then_up_gets_each_event_once_in_creation_order_per_application(
    receiver,
):
    _endpoint(
        receiver.url,
        [events.APPLICATION_STAGE_CHANGED, events.CONTACT_RECORDED],
    )
    first, second = ApplicationFactory(), ApplicationFactory()
    expected = {first.pk: [], second.pk: []}
    with time_machine.travel(START, tick=False) as clock:
        for application, kinds in (
            (first, [StageKind.SCREEN, StageKind.INTERVIEW]),
            (second, [StageKind.SCREEN]),
        ):
            for kind in kinds:
                _move(application, kind)
        contact_record(
            contact=Contact(
                candidate=first.candidate,
                application=first,
                channel=Channel.PHONE,
                direction=Direction.INBOUND,
                occurred_at=START,
                source=ContactSource.MANUAL,
                summary="Called back",
            ),
            now=START,
        )
        _move(second, StageKind.INTERVIEW)
        for delivery in Delivery.objects.order_by("id"):
            expected[delivery.application_id].append(delivery.message_id)
        assert len(expected[first.pk]) == 3
        assert len(expected[second.pk]) == 2

        # Down for the first 15 minutes: every attempt fails and backs off.
        receiver.down = True
        for minute in range(15):
            clock.move_to(START + dt.timedelta(minutes=minute))
            services.deliveries_send()
        failed_ids = [headers["webhook-id"] for headers, _body in receiver.received]
        # While an application's first event fails, its later ones are never attempted.
        assert set(failed_ids) == {expected[first.pk][0], expected[second.pk][0]}

        receiver.down = False
        for minute in range(15, 120):
            clock.move_to(START + dt.timedelta(minutes=minute))
            services.deliveries_send()

    delivered = [headers["webhook-id"] for headers, _body in receiver.received[len(failed_ids) :]]
    assert sorted(delivered) == sorted(expected[first.pk] + expected[second.pk])  # each once
    for application_id, ids in expected.items():
        assert [i for i in delivered if i in ids] == ids, application_id
    assert not Delivery.objects.exclude(state=DeliveryState.DELIVERED).exists()


def test_two_senders_never_send_one_application_out_of_order(receiver):
    """A second sender running while the first holds an application's earlier event skips the
    later one instead of sending it first (the earlier row is locked and still pending)."""
    _endpoint(receiver.url, [events.APPLICATION_STAGE_CHANGED])
    application = ApplicationFactory()
    _move(application, StageKind.SCREEN)
    _move(application, StageKind.INTERVIEW)
    earlier, _later = Delivery.objects.order_by("id")
    with transaction.atomic():
        locked = services._due(timezone.now()).first()
        assert locked.pk == earlier.pk
        # What a concurrent sender would see: the earlier row is pending, so the later waits.
        assert not services._due(timezone.now()).exclude(pk=earlier.pk).exists()


# --- Events from the other layers ---------------------------------------------------------------


def test_closing_a_silence_test_emits_silence_test_closed_and_score_changed(receiver):
    _endpoint(receiver.url, [events.SILENCE_TEST_CLOSED, events.SCORE_CHANGED])
    test = SilenceTestFactory(closing=True)
    ContactFactory(
        application=test.application,
        occurred_at=test.deadline_at + dt.timedelta(hours=2),
    )
    Delivery.objects.all().delete()  # the factory's contact is not what this test is about
    silence_tests_sweep(now=timezone.now())
    # The score is recomputed by the drain after the commit; run it as the commit would.
    from scoring.scores import stale_scores_drain

    stale_scores_drain()
    services.deliveries_send()
    by_type = {p["type"]: p["data"] for p in receiver.payloads()}
    assert by_type["silence_test.closed"]["silence_test"]["id"] == test.pk
    assert by_type["silence_test.closed"]["silence_test"]["outcome"] == "reached_out"
    assert by_type["score.changed"]["application"]["id"] == test.application_id
    assert by_type["score.changed"]["score"] > 0


def test_a_recorded_contact_is_an_event_without_what_the_candidate_wrote(receiver):
    _endpoint(receiver.url, [events.CONTACT_RECORDED])
    application = ApplicationFactory()
    contact_record(
        contact=Contact(
            candidate=application.candidate,
            application=application,
            channel=Channel.EMAIL,
            direction=Direction.INBOUND,
            occurred_at=timezone.now(),
            source=ContactSource.MANUAL,
            summary="Secret plans <script>",
        ),
        now=timezone.now(),
    )
    services.deliveries_send()
    [payload] = receiver.payloads()
    assert payload["data"]["contact"]["channel"] == "email"
    assert "Secret plans" not in json.dumps(payload)


def test_an_endpoint_limited_to_a_requisition_gets_only_its_events(receiver):
    own = ApplicationFactory()
    _endpoint(receiver.url, [events.APPLICATION_STAGE_CHANGED], requisition=own.requisition)
    _move(ApplicationFactory(), StageKind.SCREEN)
    _move(own, StageKind.SCREEN)
    services.deliveries_send()
    assert [p["data"]["application"]["id"] for p in receiver.payloads()] == [own.pk]


def test_erasing_a_candidate_deletes_their_deliveries(receiver):
    _endpoint(receiver.url, [events.APPLICATION_STAGE_CHANGED])
    erased, kept = ApplicationFactory(), ApplicationFactory()
    _move(erased, StageKind.SCREEN)
    _move(kept, StageKind.SCREEN)
    candidate_erase(candidate=erased.candidate, actor=UserFactory(admin=True), reason="request")
    assert list(Delivery.objects.values_list("application_id", flat=True)) == [kept.pk]


# --- Where requests may go ---------------------------------------------------------------------


def test_private_and_loopback_addresses_are_refused_in_production(receiver, settings):
    _endpoint(receiver.url, [events.APPLICATION_STAGE_CHANGED])
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    _move(ApplicationFactory(), StageKind.SCREEN)
    assert services.deliveries_send() == (0, 1)
    assert receiver.received == []
    assert "private, loopback or reserved" in Delivery.objects.get().last_error


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("ftp://example.com/hook", "url"),
        ("file:///etc/passwd", "url"),
        ("https://user:pw@example.com/hook", "url"),
        ("http://example.com/hook", "url"),  # events carry names: https only
    ],
)
def test_endpoint_urls_are_validated(settings, url, field):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(ValidationError) as error:
        _endpoint(url, [events.SCORE_CHANGED])
    assert field in error.value.message_dict


def test_an_endpoint_needs_a_known_event():
    with pytest.raises(ValidationError):
        _endpoint("https://example.com/hook", ["candidate.deleted"])


# --- Slack and Teams -------------------------------------------------------------------------


def _closed_digest(requisition):
    reached = SilenceTestFactory(
        closing=True,
        application=ApplicationFactory(
            requisition=requisition,
            at_silence_test=True,
            candidate__first_name="Ada",
            candidate__last_name="<!channel> Lovelace",
        ),
    )
    ContactFactory(application=reached.application, occurred_at=reached.deadline_at)
    SilenceTestFactory(
        closing=True,
        window_closes_at=reached.window_closes_at,
        application=ApplicationFactory(
            requisition=requisition,
            at_silence_test=True,
            candidate__first_name="Bo",
            candidate__last_name="*Silent*",
        ),
    )
    silence_tests_sweep(now=timezone.now())
    return SilenceDigest.objects.get(requisition=requisition)


def test_the_silence_digest_goes_to_the_requisitions_slack_with_names_and_outcomes_only(
    receiver,
):
    requisition = RequisitionFactory()
    other = RequisitionFactory()
    services.endpoint_create(
        name="#hiring",
        kind=EndpointKind.SLACK,
        url=receiver.url,
        event_names=[],
        requisition=requisition,
    )
    services.endpoint_create(
        name="#other",
        kind=EndpointKind.SLACK,
        url=receiver.url + "/other",
        event_names=[],
        requisition=other,
    )
    _closed_digest(requisition)
    services.deliveries_send()
    [(_headers, body)] = receiver.received
    text = json.loads(body)["text"]
    assert "Reached out (1): Ada &lt;!channel&gt; Lovelace" in text
    assert "Stayed silent (1)" in text
    assert "*Silent*" in text
    assert "<!channel>" not in text  # a name cannot ping the channel
    assert "@" not in body.decode()  # no addresses
    assert requisition.title in text


def test_the_silence_digest_goes_to_teams_as_an_adaptive_card(receiver):
    requisition = RequisitionFactory()
    services.endpoint_create(
        name="Hiring channel",
        kind=EndpointKind.TEAMS,
        url=receiver.url,
        event_names=[],
        requisition=requisition,
    )
    _closed_digest(requisition)
    services.deliveries_send()
    [payload] = receiver.payloads()
    card = payload["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    text = " ".join(block["text"] for block in card["content"]["body"])
    assert "Ada" in text
    assert "\\*Silent\\*" in text


def test_a_chat_endpoint_needs_its_vendors_host_and_a_requisition(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    requisition = RequisitionFactory()
    with pytest.raises(ValidationError) as error:
        services.endpoint_create(
            name="x",
            kind=EndpointKind.SLACK,
            url="https://evil.example/hook",
            event_names=[],
            requisition=requisition,
        )
    assert "url" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.endpoint_create(
            name="x",
            kind=EndpointKind.SLACK,
            url="https://hooks.slack.com/services/T/B/X",
            event_names=[],
            requisition=None,
        )
    assert "requisition" in error.value.message_dict
    endpoint = services.endpoint_create(
        name="x",
        kind=EndpointKind.SLACK,
        url="https://hooks.slack.com/services/T/B/X",
        event_names=[],
        requisition=requisition,
    )
    assert endpoint.events == [events.SILENCE_DIGEST_READY]


def test_a_public_name_that_resolves_to_a_private_address_is_refused(
    receiver, settings, monkeypatch
):
    """DNS rebinding: the name is checked by what it resolves to at send time, and the
    connection goes to the address that was checked."""
    _endpoint("https://hooks.ats.example/persist", [events.APPLICATION_STAGE_CHANGED])
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    monkeypatch.setattr(
        "integrations.outbound.socket.getaddrinfo",
        lambda *a, **k: [(2, 1, 6, "", ("169.254.169.254", 443))],
    )
    _move(ApplicationFactory(), StageKind.SCREEN)
    assert services.deliveries_send() == (0, 1)
    assert "private, loopback or reserved" in Delivery.objects.get().last_error


def test_redirects_are_not_followed(receiver, monkeypatch):
    _endpoint(receiver.url, [events.APPLICATION_STAGE_CHANGED])
    redirected = []

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            redirected.append(self.path)
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()

        def log_message(self, *args):
            pass

    receiver.server.RequestHandlerClass = Redirect
    _move(ApplicationFactory(), StageKind.SCREEN)
    assert services.deliveries_send() == (0, 1)
    assert redirected == ["/hooks/persist"]
    assert "redirects are not followed" in Delivery.objects.get().last_error


def test_the_minutely_sender_is_scheduled_and_allowed():
    schedule = Schedule.objects.get(name=WEBHOOK_SENDER)
    assert schedule.func == "integrations.tasks.send_webhooks"
    assert schedule.func in TASK_FUNCS
    assert schedule.minutes == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_senders_deliver_each_event_once_and_in_order_per_application(receiver):
    """Two senders on two connections at once (SKIP LOCKED, the earlier-pending rule), against a
    slow receiver so that their requests overlap."""
    _endpoint(receiver.url, [events.APPLICATION_STAGE_CHANGED])
    applications = [ApplicationFactory() for _ in range(3)]
    for application in applications:
        for kind in (StageKind.SCREEN, StageKind.INTERVIEW, StageKind.SCREEN):
            _move(application, kind)
    expected = {}
    for delivery in Delivery.objects.order_by("id"):
        expected.setdefault(delivery.application_id, []).append(delivery.message_id)

    original = receiver.server.RequestHandlerClass.do_POST

    def slow(handler):
        time.sleep(0.05)
        original(handler)

    receiver.server.RequestHandlerClass.do_POST = slow
    errors = []
    barrier = threading.Barrier(2)

    def send():
        try:
            barrier.wait()
            services.deliveries_send()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    received = [headers["webhook-id"] for headers, _body in receiver.received]
    assert sorted(received) == sorted(i for ids in expected.values() for i in ids)  # each once
    for ids in expected.values():
        assert [i for i in received if i in ids] == ids

"""The audit trail: who did what, when (UTC) — and never a candidate's personal data."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.forms import SplitDateTimeWidget
from django.urls import reverse
from django.utils import timezone

from accounts.roles import ADMINS, RECRUITERS
from audit.models import AuditAction, AuditEvent
from candidates.services import application_move
from followups.models import Contact
from followups.services import email_ingest
from followups.triage import contact_attach, contact_dismiss
from hiring.models import StageKind
from scoring.scores import (
    rank_override_clear,
    rank_override_set,
    weights_current,
    weights_version_create,
)
from tests.emails import make_email
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CandidatePhoneFactory,
    ContactFactory,
    RequisitionFactory,
    SilenceTestFactory,
    UserFactory,
    stage_of,
)

# Distinctive identifiers: if any of them reaches the audit table, a test says so.
FIRST, LAST = "Zebulon", "Quillfeather"
EMAIL = "zebulon.quillfeather@mail.example"
PHONE = "+14155550187"
BODY = "Secret body text: I will call you on Tuesday about the territory."


def _events(action):
    return list(AuditEvent.objects.filter(action=action))


def _all_audit_text() -> str:
    return "\n".join(
        repr(row)
        for row in AuditEvent.objects.values_list(*[f.attname for f in AuditEvent._meta.fields])
    ).lower()


def _form_data(form) -> dict:
    """What the browser would post back for an unchanged form."""
    data = {}
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        value = form.initial.get(name, field.initial)
        if isinstance(field.widget, SplitDateTimeWidget):
            if value is not None:
                local = timezone.localtime(value)
                data[f"{key}_0"], data[f"{key}_1"] = f"{local:%Y-%m-%d}", f"{local:%H:%M:%S}"
        elif value is None:
            continue
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [getattr(item, "pk", item) for item in value]
        else:
            data[key] = getattr(value, "pk", value)
    return data


def _admin_form_data(response) -> dict:
    """The admin change page's form and inline rows, as posted back unchanged."""
    data = _form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_data(formset.management_form))
        for form in formset.forms:
            data.update(_form_data(form))
    return data


@pytest.fixture
def team():
    manager = UserFactory(hiring_manager=True)
    recruiter = UserFactory(recruiter=True)
    requisition = RequisitionFactory(hiring_manager=manager, recruiters=[recruiter])
    candidate = CandidateFactory(first_name=FIRST, last_name=LAST, email=EMAIL)
    CandidatePhoneFactory(candidate=candidate, number=PHONE)
    application = ApplicationFactory(requisition=requisition, candidate=candidate)
    return {"manager": manager, "recruiter": recruiter, "app": application, "req": requisition}


def _weights_values():
    from scoring.views import WEIGHT_FIELDS

    current = weights_current()
    return {name: getattr(current, name) for name in WEIGHT_FIELDS}


def test_a_stage_move_on_the_page_records_who_when_from_where_and_which_stages(client, team):
    client.force_login(team["recruiter"])
    to_stage = stage_of(team["req"], StageKind.SCREEN)
    before = timezone.now()
    response = client.post(
        reverse("candidates:application_move", kwargs={"pk": team["app"].pk}),
        {"to_stage": to_stage.pk, "reason": f"{FIRST} sounded keen"},
        REMOTE_ADDR="198.51.100.20",
    )
    assert response.status_code == 302
    [event] = _events(AuditAction.STAGE_MOVED)
    assert event.actor == team["recruiter"]
    assert event.actor_username == team["recruiter"].username
    assert (event.object_type, event.object_id) == ("candidates.application", str(team["app"].pk))
    assert event.details["to_stage"] == to_stage.pk
    assert event.details["to_stage_name"] == "Phone screen"
    assert event.ip_address == "198.51.100.20"
    assert event.created_at >= before
    assert event.created_at.utcoffset() == dt.timedelta(0)
    # The free-text reason mentions the candidate: it stays in the stage history only.
    assert FIRST.lower() not in _all_audit_text()


def test_the_event_is_part_of_the_change_and_rolls_back_with_it(team):
    to_stage = stage_of(team["req"], StageKind.SCREEN)

    def move_then_fail():
        with transaction.atomic():
            application_move(application=team["app"], to_stage=to_stage, actor=team["manager"])
            raise RuntimeError("the rest of the change failed")

    with pytest.raises(RuntimeError):
        move_then_fail()
    assert not _events(AuditAction.STAGE_MOVED)


def test_a_refused_move_records_no_stage_move(team):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        application_move(
            application=team["app"],
            to_stage=stage_of(team["req"], StageKind.OFFER),
            actor=team["recruiter"],
        )
    assert not _events(AuditAction.STAGE_MOVED)


def test_the_silence_tests_automatic_rejections_are_recorded_as_system_stage_moves():
    from hiring.models import SilenceAction
    from silence.services import silence_tests_sweep

    test = SilenceTestFactory(closing=True)
    test.stage.silence_action = SilenceAction.AUTO_REJECT
    test.stage.save()
    assert silence_tests_sweep(now=timezone.now()).auto_rejected == 1
    [event] = _events(AuditAction.STAGE_MOVED)
    assert event.actor is None
    assert event.actor_username == ""
    assert event.object_id == str(test.application_id)
    rejected = stage_of(test.application.requisition, StageKind.REJECTED)
    assert event.details == {
        "from_stage": test.stage_id,
        "to_stage": rejected.pk,
        "by": "silence_test_auto_reject",
    }


def test_rank_and_outcome_overrides_are_recorded_without_the_reason(team):
    rank_override_set(
        application=team["app"],
        actor=team["manager"],
        reason=f"{FIRST} {LAST} called the CEO directly",
        position=1,
        outcome="reached_out",
    )
    rank_override_clear(application=team["app"], actor=team["manager"])
    [override] = _events(AuditAction.RANK_OVERRIDE_SET)
    assert override.details == {"position": 1, "outcome": "reached_out"}
    assert override.actor == team["manager"]
    assert override.object_id == str(team["app"].pk)
    [cleared] = _events(AuditAction.RANK_OVERRIDE_CLEARED)
    assert cleared.object_id == str(team["app"].pk)
    assert "ceo" not in _all_audit_text()


def test_a_scoring_weights_change_records_the_version_and_values():
    admin = UserFactory(admin=True)
    values = {**_weights_values(), "base_reached_out": 70}
    weights = weights_version_create(values=values, note="Reaching out matters more", actor=admin)
    [event] = _events(AuditAction.WEIGHTS_CHANGED)
    assert (event.object_type, event.object_id) == ("followups.scoringweights", str(weights.pk))
    assert event.details["base_reached_out"] == 70
    assert event.actor_username == admin.username


def test_an_admin_contact_edit_records_the_changed_field_names_never_the_body(client, team):
    contact = ContactFactory(application=team["app"], channel="email", body_text="Original")
    admin = UserFactory(admin=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:followups_contact_change", args=[contact.pk])
    data = _admin_form_data(client.get(url))
    data.update(body_text=BODY, summary=f"Spoke with {FIRST}", subject=f"Re: {LAST}")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    contact.refresh_from_db()
    assert contact.body_text == BODY

    [event] = _events(AuditAction.CONTACT_CHANGED)
    assert set(event.details["fields"]) == {"body_text", "summary", "subject"}
    assert event.actor == admin
    assert event.object_id == str(contact.pk)
    text = _all_audit_text()
    assert "secret body text" not in text
    assert "tuesday" not in text
    assert FIRST.lower() not in text
    assert LAST.lower() not in text


def test_deleting_contacts_in_the_admin_is_recorded_one_event_per_contact(client, team):
    contacts = [ContactFactory(application=team["app"]) for _ in range(2)]
    client.force_login(UserFactory(admin=True, is_superuser=True))
    response = client.post(
        reverse("admin:followups_contact_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [c.pk for c in contacts],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not Contact.objects.filter(pk__in=[c.pk for c in contacts]).exists()
    deleted = _events(AuditAction.CONTACT_DELETED)
    assert sorted(int(e.object_id) for e in deleted) == sorted(c.pk for c in contacts)
    assert all(e.details["candidate"] == team["app"].candidate_id for e in deleted)


def test_attaching_and_dismissing_queued_contacts_are_recorded(team):
    now = timezone.now()
    first = email_ingest(raw=make_email(from_="unknown1@elsewhere.example"), source="pipe", now=now)
    second = email_ingest(
        raw=make_email(from_="unknown2@elsewhere.example"), source="pipe", now=now
    )
    contact_attach(
        contact_id=first.contact_id,
        application=team["app"],
        add_identifier=True,
        actor=team["recruiter"],
        now=now,
    )
    contact_dismiss(contact_id=second.contact_id, actor=team["recruiter"], now=now)
    [attached] = _events(AuditAction.CONTACT_ATTACHED)
    assert attached.details == {
        "application": team["app"].pk,
        "candidate": team["app"].candidate_id,
        "identifier_added": True,
    }
    [dismissed] = _events(AuditAction.CONTACT_DISMISSED)
    assert dismissed.object_id == str(second.contact_id)
    # The address learnt from the email is the candidate's now, and not in the log.
    assert "unknown1@elsewhere.example" not in _all_audit_text()


def test_role_changes_in_the_admin_are_recorded_with_the_admin_as_actor(client):
    admin = UserFactory(admin=True, is_superuser=True)
    user = UserFactory(recruiter=True)
    AuditEvent.objects.all().delete()
    client.force_login(admin)
    url = reverse("admin:auth_user_change", args=[user.pk])
    admins = Group.objects.get(name=ADMINS)
    response = client.post(
        url,
        {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "is_active": "on",
            "is_staff": "on",
            "groups": [admins.pk],
            "date_joined_0": f"{user.date_joined:%Y-%m-%d}",
            "date_joined_1": f"{user.date_joined:%H:%M:%S}",
        },
        REMOTE_ADDR="198.51.100.30",
    )
    assert response.status_code == 302
    events = _events(AuditAction.ROLE_CHANGED)
    details = [e.details for e in events]
    assert {"added": [ADMINS]} in details
    assert {"removed": [RECRUITERS]} in details
    assert {"flags": {"is_staff": [False, True]}} in details
    assert {e.actor_username for e in events} == {admin.username}
    assert {e.object_id for e in events} == {str(user.pk)}
    assert {e.ip_address for e in events} == {"198.51.100.30"}


def test_role_changes_from_either_side_of_the_relation_are_recorded():
    user = UserFactory()
    recruiters = Group.objects.get(name=RECRUITERS)
    recruiters.user_set.add(user)
    user.groups.clear()
    details = [e.details for e in _events(AuditAction.ROLE_CHANGED)]
    assert {"added": [RECRUITERS]} in details
    assert {"removed": [RECRUITERS]} in details
    # Outside a request the system made the change.
    assert all(not e.actor_username for e in _events(AuditAction.ROLE_CHANGED))


def test_sign_in_sign_out_and_failed_sign_in_are_recorded(client):
    user = UserFactory(hiring_manager=True)
    client.post("/login/", {"username": user.username, "password": "nope"})
    client.post("/login/", {"username": user.username, "password": "correct horse battery staple"})
    client.post("/logout/")
    [failed] = _events(AuditAction.LOGIN_FAILED)
    assert failed.details == {"username": user.username, "locked_out": False}
    assert failed.actor is None
    assert "nope" not in _all_audit_text()
    [login] = _events(AuditAction.LOGIN)
    [logout] = _events(AuditAction.LOGOUT)
    assert login.actor == user == logout.actor
    assert login.ip_address == "127.0.0.1"


def test_a_lockout_is_recorded(client, settings):
    user = UserFactory(hiring_manager=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": user.username, "password": "nope"})
    [locked] = _events(AuditAction.LOCKED_OUT)
    assert locked.details == {"username": user.username}


def test_a_forbidden_action_is_recorded_as_denied_access(client, team):
    client.force_login(team["recruiter"])
    url = reverse("followups:rank_override", kwargs={"application_pk": team["app"].pk})
    assert client.post(url, {"position": 1, "reason": "x"}).status_code == 403
    [event] = _events(AuditAction.ACCESS_DENIED)
    assert event.actor == team["recruiter"]
    assert event.details == {
        "method": "POST",
        "status": 403,
        "url_name": "followups:rank_override",
        "ids": {"application_pk": team["app"].pk},
    }
    assert event.object_id == str(team["app"].pk)


def test_opening_another_teams_application_is_recorded_but_an_unknown_url_is_not(client, team):
    stranger = UserFactory(hiring_manager=True)
    client.force_login(stranger)
    url = reverse("candidates:application_detail", kwargs={"pk": team["app"].pk})
    assert client.get(url).status_code == 404
    assert client.get("/no-such-page/").status_code == 404
    assert client.get("/wp-login.php").status_code == 404
    [event] = AuditEvent.objects.filter(
        action__in=[AuditAction.OBJECT_HIDDEN, AuditAction.ACCESS_DENIED]
    )
    assert event.action == AuditAction.OBJECT_HIDDEN
    assert event.details["url_name"] == "candidates:application_detail"
    assert event.actor == stranger


def test_no_audit_event_holds_a_candidates_name_email_phone_or_message(client, team):
    """Erasure removes a candidate everywhere; the trail keeps only type + id, so it survives."""
    app, manager, recruiter = team["app"], team["manager"], team["recruiter"]
    application_move(
        application=app,
        to_stage=stage_of(team["req"], StageKind.REJECTED),
        actor=manager,
        reason=f"{FIRST} {LAST} <{EMAIL}> {PHONE} withdrew",
    )
    rank_override_set(application=app, actor=manager, reason=f"{EMAIL} {PHONE}", outcome="silent")
    rank_override_clear(application=app, actor=manager)
    inbound = email_ingest(
        raw=make_email(from_=EMAIL, body=BODY, subject=f"{FIRST} {LAST}"),
        source="pipe",
        now=timezone.now(),
    )
    client.force_login(UserFactory(admin=True, is_superuser=True))
    client.post(
        reverse("admin:followups_contact_changelist"),
        {"action": "delete_selected", "_selected_action": [inbound.contact_id], "post": "yes"},
    )
    client.force_login(recruiter)
    client.get(reverse("candidates:application_detail", kwargs={"pk": app.pk}) + f"?q={EMAIL}")
    client.force_login(UserFactory(hiring_manager=True))
    client.get(reverse("candidates:application_detail", kwargs={"pk": app.pk}) + f"?q={EMAIL}")

    assert AuditEvent.objects.count() >= 5
    text = _all_audit_text()
    for identifier in (FIRST, LAST, EMAIL, PHONE, PHONE.lstrip("+"), "territory"):
        assert identifier.lower() not in text, identifier


def test_admins_see_the_log_read_only_with_filters_and_search_by_object_id(client, team):
    rank_override_clear(application=team["app"], actor=team["manager"])
    admin = UserFactory(admin=True)
    client.force_login(admin)
    changelist = reverse("admin:audit_auditevent_changelist")
    response = client.get(changelist, {"q": str(team["app"].pk)})
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1
    assert all(e.object_id == str(team["app"].pk) for e in response.context["cl"].result_list)
    response = client.get(changelist, {"action__exact": AuditAction.RANK_OVERRIDE_CLEARED})
    assert [e.action for e in response.context["cl"].result_list] == [
        AuditAction.RANK_OVERRIDE_CLEARED
    ]
    event = AuditEvent.objects.filter(action=AuditAction.RANK_OVERRIDE_CLEARED).get()
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    detail = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert not detail.context["has_change_permission"]
    delete = client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_staff_who_are_not_admins_cannot_open_the_log(client):
    staff = UserFactory(hiring_manager=True, is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403


def test_editing_a_candidates_addresses_in_the_admin_records_row_ids_not_addresses(client, team):
    candidate = team["app"].candidate
    email = candidate.emails.get()
    phone = candidate.phones.get()
    client.force_login(UserFactory(admin=True, is_superuser=True))
    url = reverse("admin:candidates_candidate_change", args=[candidate.pk])
    data = _admin_form_data(client.get(url))
    email_prefix = next(k for k, v in data.items() if v == EMAIL).rsplit("-", 1)[0]
    phone_prefix = next(k for k, v in data.items() if v == PHONE).rsplit("-", 1)[0]
    data[f"{email_prefix}-address"] = "zeb.q@new-mail.example"
    data[f"{phone_prefix}-DELETE"] = "on"
    data["last_name"] = "Quill"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    assert candidate.emails.get().address == "zeb.q@new-mail.example"

    [event] = _events(AuditAction.ADMIN_CHANGED)
    assert (event.object_type, event.object_id) == ("candidates.candidate", str(candidate.pk))
    assert event.details["fields"] == ["last_name"]
    assert event.details["inlines"] == {
        "candidates.candidateemail": {
            "added": [],
            "changed": {str(email.pk): ["address"]},
            "deleted": [],
        },
        "candidates.candidatephone": {"added": [], "changed": {}, "deleted": [phone.pk]},
    }
    text = _all_audit_text()
    for identifier in ("zeb.q@new-mail.example", EMAIL, PHONE, "quill"):
        assert identifier not in text


def test_changing_who_works_a_requisition_in_the_admin_is_recorded(client, team):
    newcomer = UserFactory(recruiter=True)
    requisition = team["req"]
    client.force_login(UserFactory(admin=True, is_superuser=True))
    url = reverse("admin:hiring_requisition_change", args=[requisition.pk])
    data = _admin_form_data(client.get(url))
    data["recruiters"] = [team["recruiter"].pk, newcomer.pk]
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    [event] = _events(AuditAction.ADMIN_CHANGED)
    assert event.details == {
        "hiring_manager": team["manager"].pk,
        "recruiters": sorted([team["recruiter"].pk, newcomer.pk]),
        "created": False,
        "fields": ["recruiters"],
    }


def test_saving_an_unchanged_admin_form_records_nothing(client, team):
    client.force_login(UserFactory(admin=True, is_superuser=True))
    url = reverse("admin:hiring_requisition_change", args=[team["req"].pk])
    assert client.post(url, _admin_form_data(client.get(url))).status_code == 302
    assert not _events(AuditAction.ADMIN_CHANGED)


def test_an_admin_who_is_not_a_superuser_cannot_make_anyone_a_superuser(client):
    from django.urls import reverse

    admin_user = UserFactory(admin=True)
    recruiter = UserFactory(recruiter=True)
    client.force_login(admin_user)
    # Their own account is a staff account: not theirs to change in the admin at all.
    own = reverse("admin:auth_user_change", args=[admin_user.pk])
    assert client.post(own, {"is_superuser": "on"}).status_code == 403
    # An ordinary account they manage: the tick box is ignored (and the try recorded).
    url = reverse("admin:auth_user_change", args=[recruiter.pk])
    data = _admin_form_data(client.get(url))
    data["is_superuser"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    admin_user.refresh_from_db()
    recruiter.refresh_from_db()
    assert not admin_user.is_superuser
    assert not recruiter.is_superuser
    assert _events(AuditAction.ADMIN_REFUSED)

"""The audit trail: who did what, to which object, when (UTC).

A small model rather than django-auditlog, on purpose:

* **No personal data, so the trail survives erasure.** django-auditlog stores ``object_repr``
  (``str(obj)`` — a candidate's name) and the old/new value of every changed field (an email
  address, a phone number, an email body). Erasing a candidate would then mean rewriting or
  deleting the audit trail — exactly the accountability it exists for. Here an event names its
  object by type and primary key only, and ``details`` holds ids, stage names, numbers and the
  *names* of changed fields, never their values or any free text typed about a candidate.
* **Not only model changes.** Half the events (logins, failed logins, lockouts, denied
  accesses) are not row changes at all, which is all django-auditlog records.
* **Same transaction as the change.** ``audit_record`` is a plain insert called from the
  service that makes the change, so a rolled-back change leaves no event and vice versa.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    STAGE_MOVED = "stage_moved", "Stage moved"
    RANK_OVERRIDE_SET = "rank_override_set", "Rank/outcome overridden"
    RANK_OVERRIDE_CLEARED = "rank_override_cleared", "Rank override cleared"
    WEIGHTS_CHANGED = "weights_changed", "Scoring weights changed"
    CONTACT_CHANGED = "contact_changed", "Contact edited"
    CONTACT_DELETED = "contact_deleted", "Contact deleted"
    CONTACT_ATTACHED = "contact_attached", "Contact attached from the queue"
    CONTACT_DISMISSED = "contact_dismissed", "Contact dismissed from the queue"
    ROLE_CHANGED = "role_changed", "Role changed"
    ADMIN_CHANGED = "admin_changed", "Changed in the admin"
    ADMIN_DELETED = "admin_deleted", "Deleted in the admin"
    ADMIN_REFUSED = "admin_refused", "Refused in the admin"
    LOGIN = "login", "Signed in"
    LOGOUT = "logout", "Signed out"
    LOGIN_FAILED = "login_failed", "Sign-in failed"
    LOCKED_OUT = "locked_out", "Locked out"
    ACCESS_DENIED = "access_denied", "Access denied (403)"
    OBJECT_HIDDEN = "object_hidden", "Object not found or not visible (404)"
    CANDIDATE_EXPORTED = "candidate_exported", "Personal data exported"
    CANDIDATE_ERASED = "candidate_erased", "Candidate erased"
    SECOND_FACTOR_ENROLLED = "2fa_enrolled", "Two-step sign-in set up"
    SECOND_FACTOR_PASSED = "2fa_passed", "Second sign-in step passed"
    SECOND_FACTOR_FAILED = "2fa_failed", "Second sign-in step failed"
    SECOND_FACTOR_RESET = "2fa_reset", "Two-step sign-in reset"
    RECOVERY_CODES_GENERATED = "recovery_codes_new", "New recovery codes"
    API_TOKEN_CREATED = "api_token_created", "API token created"
    API_TOKEN_REVOKED = "api_token_revoked", "API token revoked"
    API_WRITE = "api_write", "Written through the API"
    SCORECARDS_REVEALED = "scorecards_revealed", "Scorecards of a round revealed"
    CV_UPLOADED = "cv_uploaded", "CV uploaded"
    CV_DOWNLOADED = "cv_downloaded", "CV downloaded"


class AuditEvent(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # SET_NULL + a username snapshot: deleting a staff account keeps what they did.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=30, choices=AuditAction.choices)
    object_type = models.CharField(
        max_length=100, blank=True, help_text="app_label.model, e.g. candidates.application"
    )
    object_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["action", "-created_at"], name="audit_action_created"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_created"),
        ]

    def __str__(self):
        who = self.actor_username or "system"
        target = f" {self.object_type}#{self.object_id}" if self.object_id else ""
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} UTC {who}: {self.get_action_display()}{target}"

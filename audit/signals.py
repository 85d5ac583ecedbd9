"""Audit events that arrive as signals: sign-ins, lockouts and role changes (also the ones
made in the Django admin, which writes group membership through ``user.groups``)."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from audit.services import AuditAction, audit_record

User = get_user_model()

# Flags on the user row that grant access just like a role does.
PRIVILEGE_FLAGS = ("is_superuser", "is_staff", "is_active")
USERNAME_MAX = 150


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_record(action=AuditAction.LOGIN, actor=user, obj=user, request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action=AuditAction.LOGOUT, actor=user, obj=user, request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Django masks the password in ``credentials``; the attempted username is kept (it names
    # the staff account under attack), nothing else.
    username = str(credentials.get(User.USERNAME_FIELD) or credentials.get("username") or "")
    details = {
        "username": username[:USERNAME_MAX],
        "locked_out": bool(getattr(request, "axes_locked_out", False)),
    }
    # A backend that knows why it refused says so on the request (the single sign-on backend:
    # "no active account with that email", "email not verified").
    reason = getattr(request, "login_failure_reason", "")
    if reason:
        details["reason"] = str(reason)[:200]
    audit_record(action=AuditAction.LOGIN_FAILED, actor=None, details=details, request=request)


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    audit_record(
        action=AuditAction.LOCKED_OUT,
        actor=None,
        details={"username": str(username or "")[:USERNAME_MAX]},
        request=request,
    )


def _group_names(pks) -> list[str]:
    return sorted(Group.objects.filter(pk__in=pks).values_list("name", flat=True))


@receiver(m2m_changed, sender=User.groups.through)
def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear":
        # After the clear nothing says which roles were removed: remember them now.
        if reverse:
            instance._audit_cleared = list(instance.user_set.values_list("pk", flat=True))
        else:
            instance._audit_cleared = _group_names(instance.groups.values_list("pk", flat=True))
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    key = "added" if action == "post_add" else "removed"
    if reverse:
        # group.user_set.add(user, …): one event per user whose roles changed.
        user_pks = (
            getattr(instance, "_audit_cleared", []) if action == "post_clear" else pk_set or []
        )
        for user_pk in sorted(user_pks):
            audit_record(
                action=AuditAction.ROLE_CHANGED,
                object_type=User._meta.label_lower,
                object_id=user_pk,
                details={key: [instance.name]},
            )
        return
    names = getattr(instance, "_audit_cleared", []) if action == "post_clear" else None
    names = names if names is not None else _group_names(pk_set or [])
    if names:
        audit_record(action=AuditAction.ROLE_CHANGED, obj=instance, details={key: names})


@receiver(pre_save, sender=User)
def _privileges_changed(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or (update_fields is not None and not set(update_fields) & set(PRIVILEGE_FLAGS)):
        # e.g. the last_login update on every sign-in: nothing to compare, no extra query.
        return
    if instance.pk is None or instance._state.adding:
        before = dict.fromkeys(PRIVILEGE_FLAGS)
        before["is_active"] = True
    else:
        before = User.objects.filter(pk=instance.pk).values(
            *PRIVILEGE_FLAGS
        ).first() or dict.fromkeys(PRIVILEGE_FLAGS)
    changes = {
        flag: [before[flag], getattr(instance, flag)]
        for flag in PRIVILEGE_FLAGS
        if bool(before[flag]) != bool(getattr(instance, flag))
    }
    if not changes:
        return
    if instance.pk is None:
        # A new account: its id exists only after the insert, inside the same transaction.
        instance._audit_pending_privileges = changes
        return
    audit_record(action=AuditAction.ROLE_CHANGED, obj=instance, details={"flags": changes})


@receiver(post_save, sender=User)
def _new_account_privileges(sender, instance, **kwargs):
    changes = instance.__dict__.pop("_audit_pending_privileges", None)
    if changes:
        audit_record(action=AuditAction.ROLE_CHANGED, obj=instance, details={"flags": changes})

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from twofactor.services import second_factor_reset


class Command(BaseCommand):
    help = (
        "Reset a user's two-step sign-in (lost phone and recovery codes): their next page after "
        "the password is the enrolment page. For when no other superuser can do it in the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        # actor=None: the audit log names the system (shell access), not a signed-in user.
        removed = second_factor_reset(user=user, actor=None)
        self.stdout.write(
            f"Two-step sign-in reset for {username} ({removed} authenticator(s) removed): "
            "they set up a new app at their next sign-in."
        )

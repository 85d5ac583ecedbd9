# The real Dovecot IMAP server of the integration tests, for the IMAP path of the hostile corpus.
from tests.integration.conftest import imap_server  # noqa: F401

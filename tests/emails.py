"""Build realistic RFC 5322 messages for tests."""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


def make_email(
    *,
    from_: str,
    to: str = "jobs@persist.example",
    subject: str = "Following up on our conversation",
    body: str = "Hi Morgan,\n\nI wanted to follow up with a few ideas for the territory.\n",
    html: str | None = None,
    message_id: str | None = "auto",
    date=None,
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = from_
    message["To"] = to
    message["Subject"] = subject
    if date is not None:
        message["Date"] = format_datetime(date)
    if message_id == "auto":
        message["Message-ID"] = make_msgid(domain="mail.example")
    elif message_id:
        message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    if html is not None and body:
        message.set_content(body)
        message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
    return bytes(message)

"""Building mail fixtures with Python's `mailbox` module: Maildir folders, mbox files, messages."""
from __future__ import annotations

import mailbox
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ME = "me@home.example"
LONDON = ZoneInfo("Europe/London")


def message(sender: str, to: str | list[str], subject: str, when: str, *, message_id: str | None = "auto",
            cc: list[str] = (), body: str = "Hello.\n", calendar: bytes | None = None,
            zone=LONDON, extra: dict | None = None) -> EmailMessage:
    """One message; `when` is local 'YYYY-MM-DDTHH:MM' in `zone`."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join([to] if isinstance(to, str) else to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.fromisoformat(when).replace(tzinfo=zone))
    if message_id == "auto":
        message_id = f"<{abs(hash((sender, subject, when))):x}@mail.example>"
    if message_id:
        msg["Message-ID"] = message_id
    for name, value in (extra or {}).items():
        msg[name] = value
    msg.set_content(body)
    if calendar is not None:
        msg.add_attachment(calendar, maintype="text", subtype="calendar", filename="invite.ics",
                           params={"method": "REQUEST"})
    return msg


def maildir(path: Path, messages) -> Path:
    box = mailbox.Maildir(path, create=True)
    for item in messages:
        box.add(mailbox.MaildirMessage(item) if not isinstance(item, (bytes, str)) else item)
    box.close()
    return path


def mbox(path: Path, messages) -> Path:
    box = mailbox.mbox(path, create=True)
    for item in messages:
        box.add(item)
    box.flush()
    box.close()
    return path


def raw(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")

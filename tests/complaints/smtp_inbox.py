"""A real SMTP server for the notification tests: aiosmtpd on a free port of 127.0.0.1 (no tests here).

``SmtpInbox`` keeps every message it accepts. aiosmtpd answers 250 to the
DATA command only after ``handle_DATA`` has returned, so once the sender
(``smtplib``, in this process or another) has heard that the message is
accepted, it is in ``messages``: no waiting is needed.
"""

import email
import email.policy
import socket
from dataclasses import dataclass

from aiosmtpd.controller import Controller


def free_port():
    """Return a TCP port that is free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class ReceivedMessage:
    recipients: tuple
    subject: str
    message_id: str
    body: str


class SmtpInbox:
    """An SMTP server on 127.0.0.1:``port`` (a free one by default); use ``start()``/``stop()`` or ``with``."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.messages = []
        self._controller = None

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(
            ReceivedMessage(
                tuple(envelope.rcpt_tos), str(message["Subject"]), str(message["Message-ID"]), message.get_content()
            )
        )
        return "250 OK"

    def start(self):
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def about(self, tracking_number):
        """Return the messages that name ``tracking_number`` in their subject, in the order received."""
        return [message for message in self.messages if tracking_number in message.subject]

"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, keeping every message it accepts (no test of its own)."""

import email
import email.policy
import socket

from aiosmtpd.controller import Controller


def free_port():
    """Return a TCP port that is free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps (recipients, parsed message) of every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


class SmtpServer:
    """aiosmtpd listening on ``port`` of 127.0.0.1 while in the ``with`` block; ``inbox`` keeps what it got."""

    def __init__(self, port, inbox=None):
        self.inbox = inbox or Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def __enter__(self):
        self.controller.start()
        return self.inbox

    def __exit__(self, *exc_info):
        self.controller.stop()


def text_part(message):
    """Return the plain-text part of a message."""
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message):
    """Return the HTML part of a message."""
    return message.get_body(preferencelist=("html",)).get_content()

"""A real SMTP server for the delivery tests: aiosmtpd on 127.0.0.1 with STARTTLS required and AUTH
(PLAIN / LOGIN) required. Each accepted message is stored in a Maildir with a JSON note of its
envelope and whether TLS and AUTH happened. Addresses listed in --reject-file (read on every RCPT)
get a permanent 550, so a test can make part of a run fail."""

import argparse
import json
import mailbox
import os
import ssl
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, maildir, reject_file):
        self.box = mailbox.Maildir(maildir, create=True)
        self.notes = os.path.join(maildir, "notes.jsonl")
        self.reject_file = reject_file

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        rejected = set()
        if self.reject_file and os.path.exists(self.reject_file):
            rejected = {line.strip() for line in open(self.reject_file) if line.strip()}
        if address in rejected:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        key = self.box.add(envelope.original_content)
        note = {
            "key": key,
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "authenticated": bool(session.authenticated),
        }
        with open(self.notes, "a") as f:
            f.write(json.dumps(note) + "\n")
        return "250 Message accepted"


class Authenticator:
    def __init__(self, user, password):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self.user,
            self.password,
        )
        return AuthResult(success=ok, handled=False)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--maildir", required=True)
    p.add_argument("--reject-file")
    a = p.parse_args()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(a.cert, a.key)
    controller = Controller(
        Handler(a.maildir, a.reject_file),
        hostname="127.0.0.1",
        port=a.port,
        tls_context=tls,
        require_starttls=True,
        authenticator=Authenticator(a.user, a.password),
        auth_required=True,
        server_hostname="localhost",
    )
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()

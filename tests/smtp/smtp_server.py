"""A real SMTP server for Vestibule's mail tests (aiosmtpd), with TLS.

Modes: `tls` (implicit TLS from the first byte), `starttls` (STARTTLS offered and required before
MAIL), `plain` (no STARTTLS offered at all: a client that insists on TLS must refuse it).
Every accepted message is written to --maildir as <n>.eml BEFORE the final reply to DATA, which
is held back --hold seconds: a client killed during that wait has had its message taken without
learning it. Prints "ready <port>" once listening.
"""

import argparse
import asyncio
import itertools
import pathlib
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Mailbox:
    def __init__(self, maildir: pathlib.Path, hold: float):
        self.maildir = maildir
        self.hold = hold
        self.counter = itertools.count(len(list(maildir.glob("*.eml"))) + 1)

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        tmp = self.maildir / f"{n}.tmp"
        tmp.write_bytes(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n" + envelope.original_content)
        tmp.rename(self.maildir / f"{n}.eml")
        if self.hold:
            await asyncio.sleep(self.hold)
        return "250 Message accepted for delivery"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok)
    return check


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", choices=["tls", "starttls", "plain"], required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--maildir", required=True)
    p.add_argument("--hold", type=float, default=0.0)
    p.add_argument("--user", default="mailer")
    p.add_argument("--password", default="mail-password-1")
    a = p.parse_args()
    maildir = pathlib.Path(a.maildir)
    maildir.mkdir(parents=True, exist_ok=True)
    kwargs = dict(hostname="127.0.0.1", port=a.port, authenticator=authenticator(a.user, a.password), auth_require_tls=True)
    if a.mode != "plain":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        if a.mode == "tls":
            # aiosmtpd only counts STARTTLS as TLS for AUTH; here every byte is already encrypted.
            kwargs.update(ssl_context=ctx, auth_require_tls=False)
        else:
            kwargs.update(tls_context=ctx, require_starttls=True)
    else:
        kwargs.update(auth_require_tls=False)
    controller = Controller(Mailbox(maildir, a.hold), **kwargs)
    controller.start()
    print(f"ready {a.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())

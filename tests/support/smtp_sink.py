#!/usr/bin/env python3
"""A real SMTP server on loopback for the tests (Debian's python3-aiosmtpd).

Each accepted message is written to DIR as N.eml (the bytes received) and N.json (envelope
and the headers and bodies as a mail reader decodes them). Faults on request:
  --delay-rcpt S   wait S seconds before answering RCPT (a slow server before the body)
  --delay-data S   store the message, then wait S seconds before answering 250 (the answer
                   can be lost after the server has the message)
Prints "ready" once listening.
"""
import argparse
import asyncio
import email
import json
import os
import sys
import time
from email import policy

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out, delay_rcpt, delay_data):
        self.out = out
        self.delay_rcpt = delay_rcpt
        self.delay_data = delay_data
        self.n = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.delay_rcpt:
            await asyncio.sleep(self.delay_rcpt)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        n = f"{os.getpid()}-{self.n}"
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=policy.default)
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        summary = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "message_id": str(msg["Message-ID"]),
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
        }
        with open(os.path.join(self.out, n + ".eml.tmp"), "wb") as f:
            f.write(raw)
        os.rename(os.path.join(self.out, n + ".eml.tmp"), os.path.join(self.out, n + ".eml"))
        with open(os.path.join(self.out, n + ".json.tmp"), "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False)
        os.rename(os.path.join(self.out, n + ".json.tmp"), os.path.join(self.out, n + ".json"))
        if self.delay_data:
            await asyncio.sleep(self.delay_data)
        return "250 Message accepted for delivery"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--delay-rcpt", type=float, default=0)
    p.add_argument("--delay-data", type=float, default=0)
    a = p.parse_args()
    controller = Controller(
        Sink(a.dir, a.delay_rcpt, a.delay_data), hostname="127.0.0.1", port=a.port
    )
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())

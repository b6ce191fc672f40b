"""A real SMTP server for the e-mail tests (aiosmtpd): listens on 127.0.0.1 on a free port,
prints the port on its first line, and writes every message it accepts into OUT_DIR as
000001.eml, 000002.eml, ... (whole, after an X-Envelope-To line), renamed into place only when
complete. With --delay-ms it waits that long before accepting each message, so a test can stop
the node in the middle of sending."""

import argparse
import asyncio
import os
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, out_dir, delay_s):
        self.out_dir = out_dir
        self.delay_s = delay_s
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        self.count += 1
        name = f"{self.count:06d}"
        partial = os.path.join(self.out_dir, name + ".part")
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        with open(partial, "wb") as f:
            f.write(("X-Envelope-To: " + ",".join(envelope.rcpt_tos) + "\r\n").encode("ascii"))
            f.write(content)
        os.rename(partial, os.path.join(self.out_dir, name + ".eml"))
        return "250 OK"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--delay-ms", type=int, default=0)
    args = parser.parse_args()
    handler = Sink(args.out_dir, args.delay_ms / 1000)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    # Stop when the test that started us goes away (its end of stdin closes).
    await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())

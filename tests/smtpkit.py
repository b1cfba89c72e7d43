"""A minimal SMTP receiver on 127.0.0.1 for notification tests (plain SMTP, no TLS)."""

from __future__ import annotations

import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    server: SmtpReceiver

    def handle(self) -> None:
        self.reply("220 govwatch-test ESMTP")
        data: list[str] = []
        reading = False
        while line := self.rfile.readline():
            text = line.decode("utf-8", errors="replace").rstrip("\r\n")
            if reading:
                if text == ".":
                    reading = False
                    self.server.messages.append("\n".join(data))
                    data = []
                    self.reply("250 queued")
                else:
                    data.append(text[1:] if text.startswith("..") else text)
                continue
            command = text.split(" ", 1)[0].upper()
            if command in ("EHLO", "HELO"):
                self.reply("250 govwatch-test")
            elif command == "DATA":
                reading = True
                self.reply("354 end with .")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")

    def reply(self, text: str) -> None:
        self.wfile.write(f"{text}\r\n".encode())


class SmtpReceiver(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.messages: list[str] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def __enter__(self) -> SmtpReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

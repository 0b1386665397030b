"""Container entry point: stdlib ThreadingHTTPServer in front of app.handle.

Run with ``python -m server``; listens on 0.0.0.0:$PORT (default 8080), answers JSON,
logs one JSON line per request to stdout and stops cleanly on SIGTERM (ECS task stop).
Configuration: see app.py.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import app

MAX_REQUEST_BYTES = app.MAX_BODY_BYTES


class RequestHandler(BaseHTTPRequestHandler):
    server_version = "ods-api"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def _send(self, status: int, payload: dict, close: bool = False) -> None:
        data = app.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self) -> None:
        started = time.monotonic()
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            status, payload, close = 411, {"message": "Content-Length is required"}, True
        else:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0:
                status, payload, close = 400, {"message": "invalid Content-Length"}, True
            elif length > MAX_REQUEST_BYTES:
                status, payload, close = 413, {"message": f"request body is larger than {MAX_REQUEST_BYTES} bytes"}, True
            else:
                body = self.rfile.read(length) if length else None
                status, payload = app.handle(self.command, self._utf8_path(), body, dict(self.headers.items()))
                close = False
        # logged before the response goes out, so a client never sees a reply whose log line is missing
        self._log({"method": self.command, "path": self.path.split("?", 1)[0], "status": status,
                   "ms": round((time.monotonic() - started) * 1000, 1)})
        self._send(status, payload, close)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _dispatch

    def _utf8_path(self) -> str:
        """The request target as sent. http.server decodes the request line as Latin-1, so raw
        UTF-8 bytes ("/items/é") arrive as mojibake ("/items/Ã©"); re-reading them as UTF-8 gives
        the key the client meant. A target that is not UTF-8 is left as it came (its non-ASCII
        characters then have no single meaning) with its bytes escaped, so app answers 400."""
        raw = self.path.encode("latin-1", "replace")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return "".join(chr(b) if b < 0x80 else "%%%02X" % b for b in raw)

    def _log(self, record: dict) -> None:
        print(json.dumps({"client": self.client_address[0], **record}), flush=True)

    def log_request(self, code="-", size="-") -> None:
        pass  # _dispatch logs one structured line per request

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        print(json.dumps({"client": self.client_address[0], "message": format % args}), flush=True)


def make_server(host: str = "0.0.0.0", port: int | None = None) -> ThreadingHTTPServer:
    if port is None:
        port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer((host, port), RequestHandler)
    server.daemon_threads = True
    return server


def main() -> None:
    # Refuse to start on a bad configuration (e.g. a plaintext DAX endpoint) so the ECS
    # deployment fails visibly instead of serving 500s or hanging on every DAX call.
    try:
        app.load_config()
    except app.ApiError as exc:
        print(json.dumps({"message": "not starting", "error": exc.message}), file=sys.stderr, flush=True)
        sys.exit(1)
    server = make_server()
    # shutdown() blocks until serve_forever returns, so it must run on another thread.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    print(json.dumps({"message": "listening", "port": server.server_address[1]}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        print(json.dumps({"message": "stopped"}), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()

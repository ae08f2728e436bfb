#!/usr/bin/env python3
"""Test servers for captures/record.sh: HTTPS (per-name certificates chosen by SNI) and plain HTTP.

Usage: servers.py --certs DIR --default NAME LISTEN...
  LISTEN is ADDR:PORT:tls or ADDR:PORT:plain. DIR holds NAME.crt/NAME.key per certificate name;
  the certificate for a ClientHello's SNI is the one whose file name is the SNI or its parent
  domain (api.deepseek.com -> deepseek.com), else the default one (used when there is no SNI).
Each request gets a small JSON answer; POST bodies are read fully (Content-Length).
Prints "ready" on stdout once every listener is bound.
"""

import argparse
import http.server
import json
import os
import socketserver
import ssl
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "capture-server/1"

    def log_message(self, fmt, *args):  # quiet; record.sh keeps stderr
        sys.stderr.write("%s %s\n" % (self.client_address[0], fmt % args))

    def _answer(self, received):
        body = json.dumps(
            {
                "id": "cmpl-capture",
                "object": "chat.completion",
                "host": self.headers.get("Host", ""),
                "path": self.path,
                "received_bytes": received,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def do_GET(self):
        self._answer(0)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 65536))
            if not chunk:
                break
            remaining -= len(chunk)
        self._answer(length - remaining)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def contexts(cert_dir):
    ctxs = {}
    for entry in sorted(os.listdir(cert_dir)):
        if entry.endswith(".crt"):
            name = entry[: -len(".crt")]
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(os.path.join(cert_dir, entry), os.path.join(cert_dir, name + ".key"))
            ctx.set_alpn_protocols(["http/1.1"])
            ctxs[name] = ctx
    return ctxs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--certs", required=True)
    ap.add_argument("--default", required=True)
    ap.add_argument("listen", nargs="+")
    args = ap.parse_args()
    ctxs = contexts(args.certs)
    default = ctxs[args.default]

    def pick(sock, server_name, _ctx):
        if server_name:
            labels = server_name.split(".")
            for i in range(len(labels) - 1):
                cand = ".".join(labels[i:])
                if cand in ctxs:
                    sock.context = ctxs[cand]
                    return None
        return None

    default.sni_callback = pick
    servers = []
    for spec in args.listen:
        addr, port, kind = spec.rsplit(":", 2)
        srv = Server((addr, int(port)), Handler)
        if kind == "tls":
            srv.socket = default.wrap_socket(srv.socket, server_side=True)
        servers.append(srv)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Python ssl client for captures/record.sh: resolve NAME with the system resolver, connect with
TLS (SNI = NAME, ALPN http/1.1, certificate not verified: self-signed), send a GET, read the answer.

  tls_client.py NAME PORT
"""

import socket
import ssl
import sys

name, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["http/1.1"])
with socket.create_connection((name, port), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname=name) as tls:
        tls.sendall(f"GET /v1/models HTTP/1.1\r\nHost: {name}\r\nUser-Agent: python-ssl\r\n"
                    "Connection: close\r\n\r\n".encode())
        version = tls.version()
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
print(version, data.split(b"\r\n", 1)[0].decode())

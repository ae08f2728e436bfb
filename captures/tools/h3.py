#!/usr/bin/env python3
"""Minimal HTTP/3 server and client on aioquic, for captures/record.sh.

  h3.py server ADDR PORT CERT KEY          serve every request with a small JSON body
  h3.py client NAME PORT PATH BODY_BYTES   resolve NAME (system resolver), POST BODY_BYTES bytes
                                           (GET if 0) over QUIC v1 with SNI NAME, print the status
The server prints "ready" once bound. Certificates are not verified by the client (self-signed).
"""

import asyncio
import json
import ssl
import sys

from aioquic.asyncio import QuicConnectionProtocol, serve
from aioquic.asyncio.client import connect
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ProtocolNegotiated


class ServerProtocol(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._http = None
        self._received = {}

    def quic_event_received(self, event):
        if isinstance(event, ProtocolNegotiated) and event.alpn_protocol in H3_ALPN:
            self._http = H3Connection(self._quic)
        if self._http is None:
            return
        for ev in self._http.handle_event(event):
            if isinstance(ev, HeadersReceived):
                self._received.setdefault(ev.stream_id, 0)
                if ev.stream_ended:
                    self._respond(ev.stream_id)
            elif isinstance(ev, DataReceived):
                self._received[ev.stream_id] = self._received.get(ev.stream_id, 0) + len(ev.data)
                if ev.stream_ended:
                    self._respond(ev.stream_id)

    def _respond(self, stream_id):
        body = json.dumps({"object": "h3", "received_bytes": self._received.get(stream_id, 0)}).encode()
        self._http.send_headers(
            stream_id,
            [(b":status", b"200"), (b"content-type", b"application/json"),
             (b"content-length", str(len(body)).encode())],
        )
        self._http.send_data(stream_id, body, end_stream=True)
        self.transmit()


class ClientProtocol(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._http = H3Connection(self._quic)
        self._done = {}
        self._status = {}

    def quic_event_received(self, event):
        for ev in self._http.handle_event(event):
            if isinstance(ev, HeadersReceived):
                for k, v in ev.headers:
                    if k == b":status":
                        self._status[ev.stream_id] = v.decode()
            if isinstance(ev, (HeadersReceived, DataReceived)) and ev.stream_ended:
                fut = self._done.get(ev.stream_id)
                if fut and not fut.done():
                    fut.set_result(self._status.get(ev.stream_id))

    async def request(self, authority, path, body):
        stream_id = self._quic.get_next_available_stream_id()
        method = b"POST" if body else b"GET"
        headers = [(b":method", method), (b":scheme", b"https"), (b":authority", authority.encode()),
                   (b":path", path.encode()), (b"user-agent", b"aioquic-capture")]
        if body:
            headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        self._http.send_headers(stream_id, headers, end_stream=not body)
        if body:
            self._http.send_data(stream_id, body, end_stream=True)
        fut = asyncio.get_running_loop().create_future()
        self._done[stream_id] = fut
        self.transmit()
        return await asyncio.wait_for(fut, 10)


async def run_server(addr, port, cert, key):
    config = QuicConfiguration(is_client=False, alpn_protocols=H3_ALPN)
    config.load_cert_chain(cert, key)
    await serve(addr, port, configuration=config, create_protocol=ServerProtocol)
    print("ready", flush=True)
    await asyncio.Future()


async def run_client(name, port, path, size):
    config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN, verify_mode=ssl.CERT_NONE,
                               server_name=name)
    body = (b'{"model":"chat","messages":[{"role":"user","content":"' +
            b"q" * max(0, size - 60) + b'"}]}') if size else b""
    async with connect(name, port, configuration=config, create_protocol=ClientProtocol) as client:
        status = await client.request(name, path, body)
        print("status", status, "sent", len(body))
        client.close()
        await client.wait_closed()


def main():
    if sys.argv[1] == "server":
        asyncio.run(run_server(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]))
    else:
        asyncio.run(run_client(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])))


if __name__ == "__main__":
    main()

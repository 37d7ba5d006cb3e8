"""The network namespace of a job's sandbox, and the resolver in it standing in for CoreDNS.

Run as a script, with the standard library only, by :mod:`.sandbox`, inside a fresh network namespace
(``unshare --net``, with a user namespace when not root)::

    python -I sandbox_dns.py CONFIG.json -- bwrap ... --share-net ... COMMAND

It brings the namespace's loopback up, answers DNS on 127.0.0.1:53 over UDP and/or TCP when CONFIG says the
job's node reaches CoreDNS that way (nothing listens otherwise: a lookup is refused at once, where on AWS it
would time out; the outcome, no answer, is the same), runs the sandbox (bwrap shares this namespace) and
exits with its exit code. The sandbox's processes see only this loopback: no other network.

CONFIG: ``{"udp": bool, "tcp": bool, "names": {name: IPv4}, "suffixes": {".suffix": IPv4}}``. An A (or ANY)
query for a known name gets its address; a known name asked for another type gets no record (NODATA, so
``getaddrinfo`` falls back to A); any other name is NXDOMAIN. Answers are authoritative, TTL 5 s.
"""

from __future__ import annotations

import fcntl
import ipaddress
import json
import socket
import struct
import subprocess
import sys
import threading
from typing import Any

_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1
_A, _ANY = 1, 255
_NXDOMAIN = 3
_TTL = 5


def _loopback_up() -> None:
    """A new network namespace's ``lo`` is down: nothing, the resolver included, could use 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH", fcntl.ioctl(sock, _SIOCGIFFLAGS, request)[:18])[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | _IFF_UP, b""))


def _question(query: bytes) -> tuple[str, int, int] | None:
    """(name, type, end of the question) of a one-question query; None when it is not one."""
    if len(query) < 12 or struct.unpack(">H", query[4:6])[0] != 1:
        return None
    labels, position = [], 12
    while position < len(query) and query[position] != 0:
        length = query[position]
        labels.append(query[position + 1 : position + 1 + length].decode("ascii", "replace"))
        position += 1 + length
    if position + 5 > len(query):
        return None
    qtype = struct.unpack(">H", query[position + 1 : position + 3])[0]
    return ".".join(labels).lower().rstrip("."), qtype, position + 5


def answer(query: bytes, config: dict[str, Any]) -> bytes | None:
    """The response to ``query`` (a DNS message), or None for something that is not a question."""
    parsed = _question(query)
    if parsed is None:
        return None
    name, qtype, end = parsed
    address = config["names"].get(name) or next(
        (ip for suffix, ip in config["suffixes"].items() if name.endswith(suffix)), None
    )
    flags = 0x8000 | 0x0400 | (struct.unpack(">H", query[2:4])[0] & 0x0100) | 0x0080  # QR AA RD RA
    records = b""
    if address is None:
        flags |= _NXDOMAIN
    elif qtype in (_A, _ANY):
        records = struct.pack(">HHHIH", 0xC00C, _A, 1, _TTL, 4) + ipaddress.IPv4Address(address).packed
    header = query[:2] + struct.pack(">HHHHH", flags, 1, 1 if records else 0, 0, 0)
    return header + query[12:end] + records


def _serve_udp(sock: socket.socket, config: dict[str, Any]) -> None:
    while True:
        query, peer = sock.recvfrom(4096)
        response = answer(query, config)
        if response is not None:
            sock.sendto(response, peer)


def _serve_tcp(listener: socket.socket, config: dict[str, Any]) -> None:
    while True:
        connection, _ = listener.accept()
        with connection:
            prefix = connection.recv(2)
            if len(prefix) < 2:
                continue
            size, query = struct.unpack(">H", prefix)[0], b""
            while len(query) < size:
                chunk = connection.recv(size - len(query))
                if not chunk:
                    break
                query += chunk
            response = answer(query, config)
            if response is not None:
                connection.sendall(struct.pack(">H", len(response)) + response)


def main(argv: list[str]) -> int:
    config_path, separator, *command = argv
    if separator != "--" or not command:
        raise SystemExit("usage: sandbox_dns.py CONFIG.json -- COMMAND...")
    with open(config_path, encoding="utf-8") as file:
        config = json.load(file)
    _loopback_up()
    if config["udp"]:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 53))
        threading.Thread(target=_serve_udp, args=(udp, config), daemon=True).start()
    if config["tcp"]:
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 53))
        tcp.listen(16)
        threading.Thread(target=_serve_tcp, args=(tcp, config), daemon=True).start()
    code = subprocess.call(command)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

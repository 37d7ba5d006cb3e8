"""The network namespace of a job's sandbox, and the resolver in it standing in for CoreDNS.

Run as a script, with the standard library only, by :mod:`.sandbox`, inside a fresh network namespace
(``unshare --net``, with a user namespace when not root)::

    python -I sandbox_dns.py CONFIG.json -- bwrap ... --share-net ... COMMAND

It brings the namespace's loopback up, answers DNS on 127.0.0.1:53 over UDP and/or TCP when CONFIG says the
job's node reaches CoreDNS that way (nothing listens otherwise: a lookup is refused at once, where on AWS it
would time out; the outcome, no answer, is the same), runs the sandbox (bwrap shares this namespace) and
exits with its exit code. The sandbox's processes see only this loopback: no other network.

CONFIG, a line each: ``udp`` and ``tcp`` (the protocols answered), ``name <name> <IPv4>``,
``suffix <.suffix> <IPv4>`` (:func:`config_text` writes it; not JSON, whose import would double this
script's start). An A (or ANY) query for a known name gets its address; a known name asked for another type
gets no record (NODATA, so ``getaddrinfo`` falls back to A); any other name is NXDOMAIN. Answers are
authoritative, TTL 5 s.
"""

from __future__ import annotations

import _thread
import fcntl
import os
import signal
import socket
import struct
import sys

Config = dict[str, dict[str, str]]

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


def answer(query: bytes, config: Config) -> bytes | None:
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
        records = struct.pack(">HHHIH", 0xC00C, _A, 1, _TTL, 4) + socket.inet_aton(address)
    header = query[:2] + struct.pack(">HHHHH", flags, 1, 1 if records else 0, 0, 0)
    return header + query[12:end] + records


def _serve_udp(sock: socket.socket, config: Config) -> None:
    while True:
        query, peer = sock.recvfrom(4096)
        response = answer(query, config)
        if response is not None:
            sock.sendto(response, peer)


def _serve_tcp(listener: socket.socket, config: Config) -> None:
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


def config_text(udp: bool, tcp: bool, names: dict[str, str], suffixes: dict[str, str]) -> str:
    lines = [*(["udp"] if udp else []), *(["tcp"] if tcp else [])]
    lines += [f"name {name} {ip}" for name, ip in names.items()]
    lines += [f"suffix {suffix} {ip}" for suffix, ip in suffixes.items()]
    return "\n".join(lines) + "\n"


def _read_config(path: str) -> tuple[bool, bool, Config]:
    config: Config = {"names": {}, "suffixes": {}}
    protocols = set()
    with open(path, encoding="utf-8") as file:
        for line in file:
            kind, *values = line.split() or [""]
            if kind in ("name", "suffix"):
                config[f"{kind}s" if kind == "name" else "suffixes"][values[0].lower()] = values[1]
            elif kind:
                protocols.add(kind)
    return "udp" in protocols, "tcp" in protocols, config


def main(argv: list[str]) -> int:
    config_path, separator, *command = argv
    if separator != "--" or not command:
        raise SystemExit("usage: sandbox_dns.py CONFIG -- COMMAND...")
    udp_on, tcp_on, config = _read_config(config_path)
    _loopback_up()
    if udp_on:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 53))
        _thread.start_new_thread(_serve_udp, (udp, config))
    if tcp_on:
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 53))
        tcp.listen(16)
        _thread.start_new_thread(_serve_tcp, (tcp, config))
    # os rather than subprocess and threading: a sandbox starts per container, and their imports would
    # triple this script's start.
    # Python ignores SIGPIPE and SIGXFSZ; the sandbox must not inherit that (a file over its size limit
    # kills the writer, as in a container).
    child = os.posix_spawnp(command[0], command, os.environ, setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))
    status = os.waitpid(child, 0)[1]
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

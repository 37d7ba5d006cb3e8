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
script's start); and the credential endpoints of :mod:`.pod_identity`: ``agent <token> <base64 JSON>`` (the
EKS Pod Identity agent on 169.254.170.23:80) and ``imds <role> <base64 JSON>`` (the node's metadata service,
IMDSv2 only, on 169.254.169.254:80), each address added to the namespace's loopback. An A (or ANY) query
for a known name gets its address; a known name asked for another type gets no record (NODATA, so
``getaddrinfo`` falls back to A); any other name is NXDOMAIN. Answers are authoritative, TTL 5 s.
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


def config_text(
    udp: bool, tcp: bool, names: dict[str, str], suffixes: dict[str, str], more: tuple[str, ...] = ()
) -> str:
    lines = [*(["udp"] if udp else []), *(["tcp"] if tcp else [])]
    lines += [f"name {name} {ip}" for name, ip in names.items()]
    lines += [f"suffix {suffix} {ip}" for suffix, ip in suffixes.items()]
    return "\n".join([*lines, *more]) + "\n"


def _read_config(path: str) -> tuple[bool, bool, Config]:
    config: Config = {"names": {}, "suffixes": {}, "agent": {}, "imds": {}}
    protocols = set()
    with open(path, encoding="utf-8") as file:
        for line in file:
            kind, *values = line.split() or [""]
            if kind in ("name", "suffix"):
                config[f"{kind}s" if kind == "name" else "suffixes"][values[0].lower()] = values[1]
            elif kind in ("agent", "imds"):
                config[kind] = {"key": values[0], "body": values[1]}
            elif kind:
                protocols.add(kind)
    return "udp" in protocols, "tcp" in protocols, config


# -- the credential endpoints (pod_identity.py) ---------------------------------------------------------
_SIOCSIFADDR, _SIOCSIFNETMASK = 0x8916, 0x891C


def _add_address(label: str, address: str) -> None:
    """``address``/32 on the loopback, as the alias ``label`` (lo:1): only this namespace sees it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for request, value in ((_SIOCSIFADDR, address), (_SIOCSIFNETMASK, "255.255.255.255")):
            sockaddr = struct.pack("HH4s8s", socket.AF_INET, 0, socket.inet_aton(value), b"")
            fcntl.ioctl(sock, request, struct.pack("16s16s", label.encode(), sockaddr))


def _http(connection: socket.socket) -> tuple[str, str, dict[str, str]]:
    """(method, path, headers lower-cased) of one request, its body ignored."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = connection.recv(4096)
        if not chunk:
            break
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    method, path = [*head[0].split(" "), "", ""][:2]
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return method, path, headers


def _reply(connection: socket.socket, status: str, body: bytes, content_type: str = "text/plain") -> None:
    connection.sendall(
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        f"Connection: close\r\n\r\n".encode()
        + body
    )


def agent_answer(
    method: str, path: str, headers: dict[str, str], token: str, body: bytes
) -> tuple[str, bytes]:
    """The Pod Identity agent: the credentials to a GET of /v1/credentials carrying the pod's token."""
    if method != "GET" or path.split("?")[0] != "/v1/credentials":
        return "404 Not Found", b"not found"
    if headers.get("authorization") != token:
        return "403 Forbidden", b"the pod's service account token is required"
    return "200 OK", body


def imds_answer(
    method: str, path: str, headers: dict[str, str], role: str, body: bytes, tokens: set[str]
) -> tuple[str, bytes]:
    """IMDSv2 only (HttpTokens required): a token for a PUT; the role, its credentials for a GET with it."""
    if method == "PUT" and path == "/latest/api/token":
        if "x-aws-ec2-metadata-token-ttl-seconds" not in headers:
            return "400 Bad Request", b"missing X-aws-ec2-metadata-token-ttl-seconds"
        token = os.urandom(24).hex()
        tokens.add(token)
        return "200 OK", token.encode()
    if method != "GET":
        return "405 Method Not Allowed", b""
    if headers.get("x-aws-ec2-metadata-token") not in tokens:
        return "401 Unauthorized", b""
    base = "/latest/meta-data/iam/security-credentials/"
    if path == base:
        return "200 OK", role.encode()
    if path == base + role:
        return "200 OK", body
    return "404 Not Found", b""


def _serve_http(listener: socket.socket, kind: str, key: str, body: bytes) -> None:
    tokens: set[str] = set()
    while True:
        connection, _ = listener.accept()
        with connection:
            method, path, headers = _http(connection)
            if kind == "agent":
                status, answer_body = agent_answer(method, path, headers, key, body)
            else:
                status, answer_body = imds_answer(method, path, headers, key, body, tokens)
            json_body = answer_body.startswith(b"{")
            _reply(connection, status, answer_body, "application/json" if json_body else "text/plain")


def _start_endpoints(config: Config) -> None:
    import base64  # only for a sandbox with credential endpoints

    for label, kind, address in (("lo:1", "agent", "169.254.170.23"), ("lo:2", "imds", "169.254.169.254")):
        if not config[kind]:
            continue
        _add_address(label, address)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((address, 80))
        listener.listen(16)
        body = base64.b64decode(config[kind]["body"])
        _thread.start_new_thread(_serve_http, (listener, kind, config[kind]["key"], body))


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
    if config["agent"] or config["imds"]:
        _start_endpoints(config)
    # os rather than subprocess and threading: a sandbox starts per container, and their imports would
    # triple this script's start.
    # Python ignores SIGPIPE and SIGXFSZ; the sandbox must not inherit that (a file over its size limit
    # kills the writer, as in a container).
    child = os.posix_spawnp(command[0], command, os.environ, setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))
    status = os.waitpid(child, 0)[1]
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

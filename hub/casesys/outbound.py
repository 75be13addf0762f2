"""Calls the hub makes to case systems: where it may call, and what it keeps of an answer.

Where: the hub runs inside the office network, so a webhook or lookup URL could aim it
at the hub's own host, the LAN or a cloud metadata service.  Unless an admin registered
the case system as `internal`, the hub refuses every address that is not globally
routable: loopback (127.0.0.0/8, ::1), unspecified (0.0.0.0, ::), link-local
(169.254.0.0/16, where metadata services answer, and fe80::/10), private (10/8,
172.16/12, 192.168/16, fc00::/7), shared (100.64/10), multicast and reserved ranges.
It checks every address the host *resolves* to, not the literal host only (a name
resolving to 127.0.0.1 is internal too), when a URL is registered and again before
each call, since what a name resolves to can change.  A name that does not resolve
is let through: the call itself then fails, visibly, and is checked again next time.

    check_target("http://169.254.169.254/latest/meta-data/", internal=False)   # InternalTarget
    check_target("http://localhost:8080/webhook", internal=False)             # InternalTarget
    check_target("http://127.0.0.1:8080/webhook", internal=True)              # allowed

What: an error answer is kept for auditors as its status and a short excerpt
(`answer_excerpt`): at most EXCERPT_CHARS printable characters, with values that look
like credentials (`password=…`, `"token": "…"`, `Bearer …`, long random strings) masked.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

import httpx

from hub.errors import InvalidInput

EXCERPT_CHARS = 200


class InternalTarget(ValueError, InvalidInput):
    """A URL whose host is, or resolves to, an internal address; the message says which."""


def is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])      # drop an IPv6 zone (fe80::1%eth0)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped                                  # ::ffff:127.0.0.1 is 127.0.0.1
    return not ip.is_global or ip.is_multicast


def resolved_addresses(host: str, port: int) -> list[str]:
    """Every address `host` resolves to now; [] when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({info[4][0] for info in infos})


def check_target(url: str, *, internal: bool) -> None:
    """Raise InternalTarget when `url` would reach an internal address and the case
    system is not marked internal."""
    if internal:
        return
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise InternalTarget(f"{url} names no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InternalTarget(f"{url} has an invalid port") from None
    inside = [address for address in resolved_addresses(host, port) if is_internal(address)]
    if inside:
        resolves = "is" if inside == [host.strip("[]")] else f"resolves to {', '.join(inside)}, which is"
        raise InternalTarget(f"{url} {resolves} an internal address (loopback, link-local, private or "
                             "reserved): the hub calls such addresses only for a case system an admin "
                             "registered with internal = true")


# key=value, key: value and "key": "value", for names that usually carry credentials.
_CREDENTIAL = re.compile(r"""(?ix)
    (["']?[\w-]*(?:password|passwd|pwd|secret|token|api[_-]?key|key|credential|auth\w*|session)[\w-]*["']?
     \s*[:=]\s*)
    (["']?)[^\s"',;&}]+""")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[\w.~+/=-]+")
_RANDOM = re.compile(r"[A-Za-z0-9+/_=-]{24,}")     # long hex/base64 runs: keys, tokens, hashes


def sanitise(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable excerpt of `text` with credential-like values masked."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    text = _BEARER.sub(lambda m: f"{m.group(1)} ***", text)
    text = _CREDENTIAL.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    text = _RANDOM.sub("***", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def answer_excerpt(response: httpx.Response) -> str:
    """What is kept of an error answer: `HTTP 500 Internal Server Error: <sanitised excerpt>`."""
    head = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    try:
        body = sanitise(response.text)
    except (UnicodeDecodeError, LookupError):
        body = ""
    return f"{head}: {body}" if body else head

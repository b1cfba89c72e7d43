"""Whether a server's HEAD answers can be believed.

A link that is not a page is checked by HEAD: no body comes, an attachment is not downloaded.
Most servers answer HEAD as they answer GET. Some do not: a HEAD handled by a proxy, a cache or a
framework's generic route answers 200 for any URL, and every dead attachment behind it would
pass as working.

So the first time a server's HEAD says a URL is there (2xx), the server is asked by HEAD for a
URL beside it that surely is not (the same folder and file type, a random name): its *proof*.
Proofs go by the server's top folder (``/files/``, ``/uploads/``): one folder may be a proxy
to storage that answers HEAD for anything, and another plain files.
A 2xx there makes it a *liar*: its links are checked by GET from then on (headers only), the
ones that waited for the proof too. Any other answer (404, a redirect, a failure) makes it
*honest*: its HEAD answers are believed, the waiting ones at once. One HEAD per server.
"""

from __future__ import annotations

import posixpath
import uuid
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit, urlunsplit


class Trust(Enum):
    UNKNOWN = "unknown"  # its proof is under way: its HEAD answers wait
    HONEST = "honest"
    LIAR = "liar"


@dataclass
class _Server:
    trust: Trust = Trust.UNKNOWN
    proving: bool = False


class HeadTrust:
    """Per scope (``scope_of``: server and top folder), in one crawl process; ``enabled``
    False believes every HEAD."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.servers: dict[str, _Server] = {}

    def trust(self, server: str) -> Trust:
        if not self.enabled:
            return Trust.HONEST
        state = self.servers.get(server)
        return state.trust if state is not None else Trust.UNKNOWN

    def start_proof(self, server: str) -> bool:
        """Whether to send this server's proof now (once); else its HEAD answers wait."""
        state = self.servers.setdefault(server, _Server())
        if state.trust is not Trust.UNKNOWN or state.proving:
            return False
        state.proving = True
        return True

    def proved(self, server: str, status: int | None) -> Trust:
        """The proof's HEAD answered ``status`` (None: it failed)."""
        state = self.servers.setdefault(server, _Server())
        lied = status is not None and 200 <= status < 300
        state.trust = Trust.LIAR if lied else Trust.HONEST
        return state.trust


def scope_of(url: str) -> str:
    """Where one proof holds: "x.gov.cn:8080/files/" for http://x.gov.cn:8080/files/a/b.pdf."""
    parts = urlsplit(url)
    top = parts.path.lstrip("/").split("/", 1)
    folder = top[0] + "/" if len(top) > 1 else ""
    return f"{parts.netloc}/{folder}"


def proof_url(url: str) -> str:
    """A URL beside ``url`` that surely does not exist: same folder, same file type."""
    parts = urlsplit(url)
    folder, name = posixpath.split(parts.path)
    extension = posixpath.splitext(name)[1] if "%" not in name else ""
    made_up = f"govwatch-surely-missing-{uuid.uuid4().hex}{extension[:8]}"
    return urlunsplit((parts.scheme, parts.netloc, posixpath.join(folder or "/", made_up), "", ""))

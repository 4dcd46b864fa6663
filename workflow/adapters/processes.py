"""Who is sending: the owner id a process stamps on the mail it claims, and whether that owner lives.

The one module that asks the operating system about processes (``/proc``,
``os.kill``). An owner id is ``host:pid:random``; only an owner on this host
can be checked, so an owner on another host counts as alive (its claim
expires after a lease instead).
"""

from __future__ import annotations

import os
import socket
import uuid


def owner_id() -> str:
    """A new owner id for this process: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_gone(owner: str | None) -> bool:
    """True when ``owner`` is a process of this host that has exited (or no owner at all).

    A zombie counts as gone; a process we may not signal (another user's) counts as alive.
    """
    if not owner:
        return True
    host, _sep, rest = owner.partition(":")
    if host != socket.gethostname():
        return False
    try:
        pid = int(rest.split(":")[0])
    except ValueError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            if fh.read().rsplit(")", 1)[-1].split()[0] == "Z":
                return True
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False

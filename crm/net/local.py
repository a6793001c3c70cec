"""Where plain (unencrypted) protocols are allowed: this machine's loopback interface only."""
from __future__ import annotations

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str | None) -> bool:
    """True for a host name that never leaves this machine (so a password sent in clear stays here)."""
    return (host or "").lower() in LOOPBACK

"""Sockets within the open-file limit: the requests in flight and the connections kept open.

Every request in flight holds a socket, and so does every connection kept open between polls
(up to ``IDLE_PER_ORIGIN`` per environment). A process may hold ``ulimit -n`` descriptors
(1,024 on many Linux machines, 256 on macOS, though the hard limit is usually far higher); past
it, connecting fails with "Too many open files" and a healthy environment shows as down. So
the soft limit is raised towards the hard one as far as the fleet needs (as Go's runtime does
for every program), and where that is not allowed the fleet is polled within what is left.
"""

from __future__ import annotations

import logging

from msgspec import Struct

log = logging.getLogger(__name__)

# Descriptors kept for everything that is not a request: the store (its file, WAL and shared
# memory, on two connections), the terminal, the lock file, logs, the event loop's own.
RESERVE = 128


class SocketBudget(Struct, frozen=True):
    in_flight: int  # requests at once
    keep_idle: bool  # whether connections stay open between polls
    limit: int | None  # the soft open-file limit now (None: unlimited or unknown)
    notice: str | None = None  # what a person should know when the limit is short


def socket_budget(in_flight: int, idle: int, *, reserve: int = RESERVE) -> SocketBudget:
    """Room for ``in_flight`` requests and ``idle`` kept connections, or the most there is.

    Raises the soft RLIMIT_NOFILE to ``in_flight + idle + reserve`` when it is lower and the
    hard limit allows (never lowers it). When the room is still short, no connection is kept
    idle and the requests in flight are capped by what is left, with a warning saying so.
    """
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return SocketBudget(in_flight, True, None)
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return SocketBudget(in_flight, True, None)
    infinity = resource.RLIM_INFINITY
    need = in_flight + idle + reserve
    if soft != infinity and soft < need:
        raised = need if hard == infinity else min(need, hard)
        if raised > soft:
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
                soft = raised
            except (OSError, ValueError) as exc:
                log.debug("could not raise the open-file limit to %d: %s", raised, exc)
    if soft == infinity:
        return SocketBudget(in_flight, True, None)
    if soft >= need:
        return SocketBudget(in_flight, True, soft)
    # Short: sockets only for requests in flight, and a tiny limit keeps half for the rest.
    room = max(1, soft - reserve if soft > 2 * reserve else soft // 2)
    notice = (
        f"the open-file limit (ulimit -n {soft}) leaves room for {room} sockets: at most "
        f"{min(in_flight, room)} requests in flight, and no connection kept open between polls"
    )
    log.warning("%s", notice)  # a one-shot command's stderr; the dashboard shows it itself
    return SocketBudget(min(in_flight, room), False, soft, notice)

"""What an endpoint profile is: per signal, which requests answer it and how to read them.

An environment speaks one profile. The client sends a signal's requests, hands the answers to
the profile, and gets back the same documents (``models``) whatever the profile was: nothing
past this package knows which one it was.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence

import msgspec

from umig_tui.models import Document, Endpoint, FetchError, TeamsCheck
from umig_tui.sources.errors import ParseError

OK_ONLY = frozenset({200})


class Request(msgspec.Struct, frozen=True):
    """One GET below the environment's API prefix."""

    path: str  # may carry a query string: "adminVersion?includeMetrics=false"
    # Statuses whose body is the document: the shipped databaseVersionsHealth answers its
    # report with 206 (degraded) and 503 (unhealthy) too.
    accept: frozenset[int] = OK_ONLY
    # The signal is still read when this request fails (its answer then carries the error).
    optional: bool = False
    # Sent only when every other request of the signal failed (a liveness fallback).
    fallback: bool = False
    # False: only the status and the time count (smoke checks and timed probes); any 2xx passes.
    body: bool = True


class Answer(msgspec.Struct, frozen=True):
    """What one request brought back: a status and a body, or (optional requests) an error."""

    path: str
    status: int | None
    body: str = ""
    latency_ms: float | None = None
    error: FetchError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Profile(ABC):
    """Maps signals to requests and answers to documents. Stateless and shared."""

    name: str = ""
    variant: str = ""  # which spelling answered, where a profile has more than one

    @property
    def label(self) -> str:
        """``us088 (adminHealth)``: the name and the variant, for every face to show."""
        return f"{self.name} ({self.variant})" if self.variant else self.name

    @abstractmethod
    def requests(self, signal: Endpoint) -> tuple[Request, ...]:
        """The requests that answer ``signal``; empty when this profile has no source for it."""

    @abstractmethod
    def parse(self, signal: Endpoint, answers: Sequence[Answer]) -> Document:
        """The document for ``signal`` from its answers; raises ParseError."""

    def offers(self, signal: Endpoint) -> bool:
        return bool(self.requests(signal))

    def paths(self) -> dict[str, str]:
        """Signal → the path that answers it first (``status --json`` shows them)."""
        out: dict[str, str] = {}
        for signal in Endpoint:
            requests = self.requests(signal)
            if requests:
                out[str(signal)] = requests[0].path
        return out

    def __repr__(self) -> str:
        return f"<profile {self.label}>"


def smoke_check(answers: Sequence[Answer]) -> TeamsCheck:
    """The smoke signal: the first answer's status (the client already failed a non-2xx)."""
    first = answers[0]
    if first.status is None:
        raise ParseError("no answer to the smoke check")
    return TeamsCheck(first.status)


def first_body(answers: Sequence[Answer]) -> str:
    """The body of the first request that answered (the primary one, for one-request signals)."""
    for answer in answers:
        if answer.ok:
            return answer.body
    raise ParseError("no request of this signal answered")


# -- raw bodies -----------------------------------------------------------------------------
# What the store keeps and the detail screen shows per signal. One answer with HTTP 200 is its
# body as sent (stores written before profiles existed hold exactly that); anything else is
# every answer under a "── path · HTTP status" line, which no JSON body can start a line with.

_PART = re.compile(r"^── (\S+) · (?:HTTP (\d{3})|(.*))$", re.M)


def encode_answers(answers: Sequence[Answer]) -> str:
    if len(answers) == 1 and answers[0].status == 200 and answers[0].ok:
        return answers[0].body
    parts: list[str] = []
    for answer in answers:
        if answer.error is not None:
            parts.append(f"── {answer.path} · {answer.error.kind}: {answer.error.reason}\n")
        else:
            parts.append(f"── {answer.path} · HTTP {answer.status}\n{answer.body}\n")
    return "".join(parts)


def decode_answers(raw: str, default_path: str) -> list[Answer]:
    """The answers ``encode_answers`` wrote; a plain body is one HTTP 200 answer."""
    if not raw.startswith("── "):
        return [Answer(default_path, 200, raw)]
    heads = list(_PART.finditer(raw))
    answers: list[Answer] = []
    for index, head in enumerate(heads):
        end = heads[index + 1].start() if index + 1 < len(heads) else len(raw)
        body = raw[head.end() + 1 : end].removesuffix("\n")
        if head.group(2):
            answers.append(Answer(head.group(1), int(head.group(2)), body))
        else:
            from umig_tui.models import ErrorKind

            kind, _, reason = (head.group(3) or "").partition(": ")
            try:
                error = FetchError(ErrorKind(kind), reason)
            except ValueError:
                error = FetchError(ErrorKind.INVALID_RESPONSE, head.group(3) or "")
            answers.append(Answer(head.group(1), None, error=error))
    return answers

"""Silences: who quietened which alert until when. Pure: the model and the matching.

A silence is a set of label matchers, as in Alertmanager; the labels of an alert are the ones
the Alertmanager notifier sends (``alert_labels``), so a silence made here and one made in
Alertmanager's own UI match the same alerts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum

import msgspec

from umig_tui.analysis.alert_rules import AlertState
from umig_tui.util.timefmt import minute, stamp, zone

# Durations offered when silencing (seconds): 1, 2 and 3 in the dialog.
PRESETS: tuple[tuple[str, float], ...] = (("15m", 900.0), ("1h", 3600.0), ("4h", 4 * 3600.0))
MAX_COMMENT = 500


class SilenceSource(StrEnum):
    STORE = "store"
    ALERTMANAGER = "alertmanager"


class SilenceError(Exception):
    """A silence could not be made, listed or expired; ``str()`` says why, for a person."""


def alert_labels(alert: AlertState) -> dict[str, str]:
    """The labels an alert carries to Alertmanager (and that silences match)."""
    return {
        "alertname": alert.rule,
        "environment": alert.env,
        "severity": str(alert.severity).lower(),
        "source": "umig-tui",
    }


class Matcher(msgspec.Struct, frozen=True):
    """One Alertmanager matcher: ``name=value``, ``!=``, ``=~`` or ``!~``."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.is_regex:
            try:
                found = re.fullmatch(self.value, actual) is not None
            except re.error:
                return False  # a pattern Python cannot read silences nothing here
        else:
            found = actual == self.value
        return found == self.is_equal

    def __str__(self) -> str:
        op = (
            ("=~" if self.is_equal else "!~") if self.is_regex else ("=" if self.is_equal else "!=")
        )
        return f"{self.name}{op}{self.value}"


class Silence(msgspec.Struct, frozen=True):
    """One silence, from the store or from Alertmanager (``source``)."""

    id: str
    env: str | None  # None: not limited to one environment (a wider Alertmanager silence)
    rule: str | None  # None: not limited to one rule
    author: str
    comment: str
    starts_at: float
    ends_at: float
    created_at: float
    source: SilenceSource
    matchers: tuple[Matcher, ...] = ()

    @classmethod
    def for_rule(
        cls,
        id: str,
        *,
        rule: str,
        env: str,
        author: str,
        comment: str,
        starts_at: float,
        ends_at: float,
        created_at: float,
        source: SilenceSource,
    ) -> Silence:
        """A silence of exactly ``rule`` on exactly ``env``."""
        return cls(
            id,
            env,
            rule,
            author,
            comment,
            starts_at,
            ends_at,
            created_at,
            source,
            rule_matchers(rule, env),
        )

    def active(self, now: float) -> bool:
        return self.starts_at <= now < self.ends_at

    def covers(self, alert: AlertState) -> bool:
        matchers = self.matchers or rule_matchers(self.rule, self.env)
        labels = alert_labels(alert)
        return bool(matchers) and all(m.matches(labels) for m in matchers)

    def mark(self, now: float) -> str:
        """``silenced by alice until 14:30`` (with the date when it ends after 24 hours)."""
        ends = self.ends_at
        until = f"{minute(ends)} {zone(ends)}" if ends - now < 86400 else stamp(ends)
        return f"silenced by {self.author} until {until}"

    def describe(self) -> str:
        """What it silences, as matchers: ``alertname=… environment=…``."""
        return " ".join(str(m) for m in self.matchers or rule_matchers(self.rule, self.env))


def rule_matchers(rule: str | None, env: str | None) -> tuple[Matcher, ...]:
    """The matchers of a silence of ``rule`` on ``env`` (either may be None: any)."""
    out: list[Matcher] = []
    if rule is not None:
        out.append(Matcher("alertname", rule))
    if env is not None:
        out.append(Matcher("environment", env))
    return tuple(out)


def silence_for(alert: AlertState, silences: Iterable[Silence], now: float) -> Silence | None:
    """The active silence covering ``alert`` that lasts longest, or None."""
    covering = [s for s in silences if s.active(now) and s.covers(alert)]
    return max(covering, key=lambda s: s.ends_at) if covering else None


def check_comment(comment: str) -> str:
    """The comment stripped; SilenceError when there is none (a silence says why)."""
    text = " ".join(comment.split())
    if not text:
        raise SilenceError("a comment is required: say why the alert is silenced")
    if len(text) > MAX_COMMENT:
        raise SilenceError(
            f"the comment is too long ({len(text)} characters, at most {MAX_COMMENT})"
        )
    return text


def check_duration(seconds: float) -> float:
    if not seconds > 0:
        raise SilenceError("a silence needs a duration longer than zero")
    return seconds

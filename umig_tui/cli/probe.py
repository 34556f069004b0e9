"""``umig-tui probe URL``: which endpoints an installation serves and which profile it speaks.

The first command to run when connecting a new environment: one line per candidate path (HTTP
status, latency, the fields read), the profile auto-detection would pick, then every signal of
that profile fetched once through it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from umig_tui.cli.common import EXIT_OK, EXIT_PROBLEM, UsageError, option
from umig_tui.models import (
    ComponentsStatus,
    Document,
    Endpoint,
    ErrorKind,
    HealthSnapshot,
    MetricsSnapshot,
    NotOffered,
    PollResult,
    TeamsCheck,
    VersionInfo,
)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "probe",
        help="which endpoints a UMIG installation serves, and the profile it speaks",
        description="Ask every candidate path of every built-in profile once, say what each "
        "answered, the profile auto-detection picks, then fetch each of its signals. TARGET is a "
        "base URL (https://confluence.example.com) or the name of a configured environment (its "
        "auth, api_prefix and TLS settings are used). Exit 0 when a profile answers, 1 when none "
        "does, 2 for usage errors.",
    )
    parser.add_argument("target", metavar="TARGET", help="base URL or environment name")
    parser.add_argument(
        "--auth",
        metavar="SPEC",
        help="bearer:VAR (token in $VAR) or basic:USER:VAR (password in $VAR)",
    )
    parser.add_argument(
        "--api-prefix",
        metavar="PATH",
        help="the ScriptRunner prefix (default /rest/scriptrunner/latest/custom)",
    )
    parser.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    parser.add_argument("--ca-bundle", metavar="FILE", help="CA certificates to verify TLS with")
    parser.add_argument("--timeout", default="10s", help="per request (default 10s)")
    parser.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help="config file")
    parser.add_argument("--json", action="store_true", help="print JSON for jq")
    parser.set_defaults(run=run)


def _environment(args: argparse.Namespace) -> tuple[Any, Any]:
    """The environment to probe and the polling settings (timeout) to probe it with."""
    from msgspec.structs import replace

    from umig_tui.config import Auth, Environment, Polling, load_config
    from umig_tui.config.values import check_url
    from umig_tui.models import Tier
    from umig_tui.util.durations import DurationError, parse_duration

    try:
        timeout = parse_duration(args.timeout)
    except DurationError as exc:
        raise UsageError(f"--timeout: {exc}") from None
    target: str = args.target
    if "://" in target:
        url = check_url(target)
        if url is None:
            raise UsageError(f"{target!r} is not an http(s) URL with a host")
        env = Environment("probe", url, Tier.DEVELOPMENT, origin="command line")
    else:
        config = load_config(option(args, "config"))
        try:
            env = config.environment(target)
        except KeyError:
            names = ", ".join(e.name for e in config.environments)
            raise UsageError(
                f"{target!r} is neither a URL nor a configured environment ({names})"
            ) from None
    if args.auth:
        kind, _, rest = args.auth.partition(":")
        if kind == "bearer" and rest:
            env = replace(env, auth=Auth("bearer", token_env=rest))
        elif kind == "basic" and ":" in rest:
            user, _, variable = rest.rpartition(":")
            env = replace(env, auth=Auth("basic", user=user, password_env=variable))
        else:
            raise UsageError("--auth: use bearer:VAR or basic:USER:VAR (secrets stay in $VAR)")
    if args.api_prefix:
        env = replace(env, api_prefix="/" + args.api_prefix.strip("/"))
    if args.insecure:
        env = replace(env, verify_tls=False)
    if args.ca_bundle:
        env = replace(env, ca_bundle=args.ca_bundle)
    env = replace(env, profile="auto")
    return env, Polling(timeout=timeout)


async def run(args: argparse.Namespace) -> int:
    from umig_tui.sources.factory import ClientFactory
    from umig_tui.sources.profiles.detect import CANDIDATES, classify

    env, polling = _environment(args)
    client = ClientFactory(polling, os.environ).build(env)
    candidates: list[dict[str, Any]] = []
    picked = None
    try:
        refused = False
        for candidate in CANDIDATES:
            if refused:  # Confluence asks for a CAPTCHA after a few failed logins
                candidates.append(
                    {
                        "path": candidate.path,
                        "http_status": None,
                        "latency_ms": None,
                        "error": None,
                        "profile": None,
                        "fields": [],
                        "note": "not asked: the credentials were refused above",
                    }
                )
                continue
            answer = await client.ask(candidate)
            refused = answer.error is not None and answer.error.kind is ErrorKind.AUTH_REQUIRED
            line: dict[str, Any] = {
                "path": candidate.path,
                "http_status": answer.status if answer.error is None else answer.error.http_status,
                "latency_ms": round(answer.latency_ms, 1) if answer.latency_ms else None,
                "error": answer.error.to_json() if answer.error else None,
                "profile": None,
                "fields": [],
                "note": "",
            }
            if answer.error is None:
                verdict = classify(candidate.path, answer.status or 0, answer.body)
                line["profile"] = verdict.profile.label if verdict.profile else None
                line["fields"] = list(verdict.fields)
                line["note"] = verdict.note
                picked = picked or verdict.profile
            candidates.append(line)
        signals: dict[str, dict[str, Any]] = {}
        if picked is not None:
            client.profile = picked
            for signal in Endpoint:
                signals[str(signal)] = _signal(await client.fetch(signal), picked)
    finally:
        await client.aclose()
    report = {
        "url": env.url,
        "api_prefix": env.api_prefix,
        "candidates": candidates,
        "profile": picked.label if picked else None,
        "signals": signals,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(render_probe(report))
    return EXIT_OK if picked is not None else EXIT_PROBLEM


def _signal(result: PollResult, profile: Any) -> dict[str, Any]:
    requests = profile.requests(result.endpoint)
    return {
        "paths": [r.path for r in requests],
        "ok": result.ok,
        "latency_ms": round(result.latency_ms, 1) if result.latency_ms is not None else None,
        "error": result.error.to_json() if result.error else None,
        "read": describe(result.value) if result.value is not None else "",
    }


def describe(document: Document) -> str:
    """The fields a document holds, in one line."""
    if isinstance(document, NotOffered):
        return "not available from this environment"
    if isinstance(document, HealthSnapshot):
        parts = [f"status={document.status or 'none (liveness only)'}", f"from {document.source}"]
        parts += [f"{c.name}={c.status}" for c in document.components]
        return ", ".join(parts)
    if isinstance(document, VersionInfo):
        fields = {
            "version": document.version,
            "schema": document.database_schema,
            "changesets": document.changesets,
            "build": document.build,
            "build_tag": document.build_tag,
            "git_commit": document.git_commit,
            "uptime": document.uptime,
        }
        return ", ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
    if isinstance(document, ComponentsStatus):
        named = [f"{p.name}={p.status}" for p in document.parts]
        if document.orchestrator_status:
            named.insert(0, f"orchestrator={document.orchestrator_status}")
        return ", ".join(named) or "no parts"
    if isinstance(document, MetricsSnapshot):
        known = {k: v for k, v in document.metrics.as_dict().items() if v is not None}
        return f"{len(document.samples)} samples; " + ", ".join(
            f"{k}={v:g}" for k, v in known.items()
        )
    assert isinstance(document, TeamsCheck)
    return f"HTTP {document.http_status}"


def render_probe(report: dict[str, Any]) -> str:
    from umig_tui.cli.render import table, terminal_width

    rows = []
    for line in report["candidates"]:
        status = str(line["http_status"]) if line["http_status"] else "-"
        if line["error"]:
            said = f"{line['error']['kind']}: {line['error']['reason']}"
        elif line["profile"]:
            said = f"→ {line['profile']}: " + ", ".join(line["fields"])
        else:
            said = line["note"]
        latency = f"{line['latency_ms']:.0f}ms" if line["latency_ms"] is not None else "-"
        rows.append([line["path"], status, latency, said])
    out = [
        f"probing {report['url']}{report['api_prefix']}",
        table(
            ["candidate", "http", "latency", "what it said"],
            rows,
            color=False,
            width=terminal_width(sys.stdout),
            flexible=3,
        ),
    ]
    errors = [line["error"] for line in report["candidates"] if line["latency_ms"] is not None]
    kinds = {error["kind"] for error in errors if error}
    refused = next((e for e in errors if e and e["kind"] == "auth_required"), None)
    if report["profile"] is None and refused is not None:
        out.append(
            f"\ncredentials refused: {refused['reason']}; no further login was tried "
            "(Confluence asks for a CAPTCHA after a few)"
        )
        return "\n".join(out)
    if report["profile"] is None and all(errors) and kinds <= {"connect_error", "timeout"}:
        # Not a question of profiles: the host is not reached.
        out.append(f"\nno answer to judge by: {errors[0]['reason']}")
        return "\n".join(out)
    if report["profile"] is None:
        out.append(
            "\nno built-in profile answers: check the URL and api_prefix, or describe the "
            "endpoints with [profiles.NAME] and jq field maps (README: Connecting to your UMIG)"
        )
        return "\n".join(out)
    out.append(f"\nwould pick: {report['profile']}")
    signal_rows = []
    for name, signal in report["signals"].items():
        if signal["error"]:
            said = f"{signal['error']['kind']}: {signal['error']['reason']}"
        else:
            said = signal["read"]
        signal_rows.append([name, " + ".join(signal["paths"]) or "-", said])
    out.append(
        table(
            ["signal", "paths", "read"],
            signal_rows,
            color=False,
            width=terminal_width(sys.stdout),
            flexible=2,
        )
    )
    return "\n".join(out)

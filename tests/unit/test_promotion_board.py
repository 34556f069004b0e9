"""The promotion board's pure core: order, since when two environments differ, promotable."""

from __future__ import annotations

from umig_tui.deploy.history_jsonl import parse_lines
from umig_tui.deploy.promotion import (
    EnvInput,
    Landing,
    VerdictState,
    build_board,
    differs_since,
)
from umig_tui.models import Tier, VersionRow
from umig_tui.service.promotion import landings_from, verdicts_from
from umig_tui.views.promotion import board_json, board_lines, plain

DAY = 86400.0
NOW = 1_800_000_000.0


def env(name: str, tier: Tier, version: str | None, **kw: object) -> EnvInput:
    return EnvInput(name, tier, VersionRow(umig=version), **kw)  # type: ignore[arg-type]


DEV = env("development", Tier.DEVELOPMENT, "1.3.0-dev")
UAT = env("uat", Tier.UAT, "1.2.0")
PROD = env("production", Tier.PRODUCTION, "1.1.2")
HOTFIX = env("hotfix", Tier.HOTFIX, "1.1.3")


def test_columns_follow_promotion_order_with_hotfix_aside() -> None:
    board = build_board([PROD, HOTFIX, UAT, DEV], [], {}, now=NOW)
    assert [c.name for c in board.columns] == ["development", "uat", "production", "hotfix"]
    assert [c.aside for c in board.columns] == [False, False, False, True]
    assert [(s.lower, s.upper) for s in board.steps] == [
        ("development", "uat"),
        ("uat", "production"),
    ]


def test_uat_ahead_of_production_since_it_got_the_new_version() -> None:
    landings = [
        Landing("production", "1.1.2", NOW - 20 * DAY),
        Landing("uat", "1.1.2", NOW - 10 * DAY),  # the same as production then
        Landing("uat", "1.2.0", NOW - (3 * DAY + 4 * 3600)),
    ]
    board = build_board([UAT, PROD], landings, {}, now=NOW)
    (step,) = board.steps
    assert step.relation == "ahead"
    assert step.since == NOW - (3 * DAY + 4 * 3600)
    assert step.since_exact
    assert step.headline(NOW) == "uat ahead of production for 3d 4h"


def test_a_later_production_deploy_does_not_restart_the_difference() -> None:
    landings = [
        Landing("uat", "1.1.0", NOW - 30 * DAY),
        Landing("production", "1.1.0", NOW - 29 * DAY),
        Landing("uat", "1.2.0", NOW - 10 * DAY),
        Landing("production", "1.1.2", NOW - 2 * DAY),  # a hotfix: still behind uat
    ]
    since, exact = differs_since(UAT, PROD, landings)
    assert (since, exact) == (NOW - 10 * DAY, True)


def test_never_seen_equal_is_at_least_since_both_were_known() -> None:
    landings = [Landing("uat", "1.2.0", NOW - 5 * DAY), Landing("production", "1.1.2", NOW - DAY)]
    board = build_board([UAT, PROD], landings, {}, now=NOW)
    assert board.steps[0].headline(NOW) == "uat ahead of production for at least 1d"


def test_records_that_do_not_end_with_what_runs_now_give_no_since() -> None:
    landings = [Landing("uat", "1.1.9", NOW - 5 * DAY), Landing("production", "1.1.2", NOW - DAY)]
    since, _ = differs_since(UAT, PROD, landings)
    assert since is None
    board = build_board([UAT, PROD], landings, {}, now=NOW)
    assert "no deployment record" in board.steps[0].headline(NOW)


def test_environment_deployed_at_counts_as_a_landing() -> None:
    uat = env("uat", Tier.UAT, "1.2.0", deployed_at=NOW - 3600, deployed_by="alice")
    prod = env("production", Tier.PRODUCTION, "1.2.0-rc.1", deployed_at=NOW - 7200)
    board = build_board([uat, prod], [], {}, now=NOW)
    assert board.steps[0].since == NOW - 3600
    assert board.column("uat").deployed_by == "alice"
    assert board.column("uat").deployed_source == "environment"


def test_who_and_when_from_the_history_when_the_environment_does_not_say() -> None:
    landings = [Landing("uat", "1.2.0", NOW - DAY, by="jenkins")]
    board = build_board([UAT, PROD], landings, {}, now=NOW)
    column = board.column("uat")
    assert (column.deployed_at, column.deployed_by, column.deployed_source) == (
        NOW - DAY,
        "jenkins",
        "history",
    )


def promotable(verdict: VerdictState | None) -> tuple[bool, str]:
    verdicts = {("uat", "1.2.0"): verdict} if verdict else {}
    step = build_board([UAT, PROD], [], verdicts, now=NOW).steps[0]
    return step.promotable, step.why


def test_passed_and_soaked_is_promotable() -> None:
    ok, why = promotable(VerdictState("pass", soak_state="passed", soak_until=NOW - 60))
    assert ok
    assert "passed and soaked" in why


def test_pass_without_a_soak_is_promotable_and_says_so() -> None:
    ok, why = promotable(VerdictState("pass"))
    assert ok
    assert "no soak was asked" in why


def test_soaking_is_not_promotable_yet() -> None:
    ok, why = promotable(VerdictState("pass", soak_state="soaking", soak_until=NOW + 3600))
    assert not ok
    assert "soaking" in why
    assert "1h left" in why


def test_soak_past_its_end_with_no_result_is_not_promotable() -> None:
    ok, why = promotable(VerdictState("pass", soak_state="soaking", soak_until=NOW - 60))
    assert not ok
    assert "no result recorded" in why


def test_failed_or_inconclusive_or_missing_verdicts_are_not_promotable() -> None:
    assert promotable(VerdictState("fail", detail="response p95")) == (
        False,
        "uat 1.2.0 verdict fail: response p95",
    )
    assert not promotable(VerdictState("inconclusive"))[0]
    assert not promotable(VerdictState("pass", soak_state="failed"))[0]
    assert promotable(None) == (False, "no deploy verdict recorded for uat 1.2.0")


def test_a_verdict_for_another_version_does_not_count() -> None:
    verdicts = {("uat", "1.1.9"): VerdictState("pass")}
    assert not build_board([UAT, PROD], [], verdicts, now=NOW).steps[0].promotable


def test_verdict_matches_the_shipped_version_spelling() -> None:
    uat = env("uat", Tier.UAT, "UMIG-v1.2.0")
    board = build_board([uat, PROD], [], {("uat", "1.2.0"): VerdictState("pass")}, now=NOW)
    assert board.steps[0].promotable


def test_behind_and_same_and_unknown_are_never_promotable() -> None:
    behind = build_board([env("uat", Tier.UAT, "1.0.0"), PROD], [], {}, now=NOW).steps[0]
    assert (behind.relation, behind.promotable) == ("behind", False)
    assert "promotion order violated" in behind.why
    same = build_board([env("uat", Tier.UAT, "1.1.2"), PROD], [], {}, now=NOW).steps[0]
    assert (same.relation, same.promotable, same.why) == ("same", False, "nothing to promote")
    unknown = build_board(
        [env("uat", Tier.UAT, None, unreadable="timeout: no answer"), PROD], [], {}, now=NOW
    ).steps[0]
    assert unknown.relation == "unknown"
    assert not unknown.promotable


def test_verdicts_and_landings_from_the_watch_history_lines() -> None:
    lines = [
        '{"id": "d1", "type": "deployment_success", "timestamp": "2027-01-15T08:00:00Z",'
        ' "environment": "uat", "version": "1.2.0", "initiatedBy": "alice", "verdict": "pass",'
        ' "verdict_reason": "", "verdict_detail": [],'
        ' "soak": {"until": "2027-01-15T09:00:00Z", "state": "soaking"}}',
        '{"id": "d1", "type": "deployment_soak", "timestamp": "2027-01-15T09:00:00Z",'
        ' "environment": "uat", "version": "1.2.0", "verdict": "pass",'
        ' "soak": {"until": "2027-01-15T09:00:00Z", "state": "passed"}}',
        '{"id": "r1", "type": "rollback", "timestamp": "2027-01-16T08:00:00Z",'
        ' "environment": "production", "fromVersion": "1.1.3", "toVersion": "1.1.2"}',
    ]
    entries, malformed = parse_lines(lines)
    assert malformed == 0
    verdicts = verdicts_from(entries)
    assert verdicts[("uat", "1.2.0")].soak_state == "passed"
    landings = landings_from(entries)
    assert [(x.env, x.version, x.by) for x in landings] == [
        ("uat", "1.2.0", "alice"),
        ("production", "1.1.2", None),
    ]


def test_text_and_json_say_the_same() -> None:
    verdicts = {("uat", "1.2.0"): VerdictState("pass", recorded_at=NOW - 60)}
    landings = [Landing("uat", "1.2.0", NOW - DAY), Landing("production", "1.1.2", NOW - 9 * DAY)]
    board = build_board([DEV, UAT, PROD, HOTFIX], landings, verdicts, now=NOW)
    text = "\n".join(plain(line) for line in board_lines(board))
    assert "uat ahead of production for at least 1d" in text
    assert "promotable: uat 1.2.0 passed" in text
    assert "repository: none configured" in text
    assert "aside (not in the promotion order):" in text
    document = board_json(board)
    assert document["repository"] is None
    step = document["steps"][1]
    assert step["from"] == "uat"
    assert step["to"] == "production"
    assert step["promotable"] is True
    assert step["commits"] is None
    assert step["differs_for_s"] == DAY
    assert step["since_exact"] is False
    assert [e["name"] for e in document["environments"]] == [
        "development",
        "uat",
        "production",
        "hotfix",
    ]

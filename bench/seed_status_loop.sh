#!/usr/bin/env bash
# The seeds' way of getting a fleet status (seed 001: generate_environment_summary,
# continuous-health-monitor.sh, version-drift-monitor.sh): a sequential loop, one curl per value,
# each piped through jq. Kept faithful on purpose: it is the baseline `umig-tui status` is
# benchmarked against (bench/bench_status.py), not a tool.
#
# usage: seed_status_loop.sh --config FILE        # [[environments]] name/url pairs (demo-server
#                                                 # --write-config writes one)
#        seed_status_loop.sh URL [URL...]         # base URLs; the name is host:port
#
# Per environment, like the seeds: version (admin/version), health status and uptime
# (admin/health, fetched twice as generate_environment_summary does) and the component
# orchestrator status (admin/components, as validate_post_deployment does): 4 requests, the same
# number `umig-tui status` makes (health, version, components, metrics).
# SEED_LOOP_MODE=summary drops the components request: exactly generate_environment_summary.

set -u

API_PREFIX="${UMIG_API_PREFIX:-/rest/scriptrunner/latest/custom}"
MODE="${SEED_LOOP_MODE:-full}"

for tool in curl jq; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "seed_status_loop.sh: '$tool' is not installed" >&2
        exit 127
    fi
done

names=()
urls=()
if [[ $# -ge 2 && "$1" == "--config" ]]; then
    name=""
    while IFS= read -r line; do
        if [[ "$line" =~ ^name[[:space:]]*=[[:space:]]*\"([^\"]*)\" ]]; then
            name="${BASH_REMATCH[1]}"
        elif [[ "$line" =~ ^url[[:space:]]*=[[:space:]]*\"([^\"]*)\" ]]; then
            names+=("${name:-${BASH_REMATCH[1]}}")
            urls+=("${BASH_REMATCH[1]}")
            name=""
        fi
    done <"$2"
elif [[ $# -ge 1 && "$1" != -* ]]; then
    for url in "$@"; do
        names+=("${url#*://}")
        urls+=("$url")
    done
else
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi

if [[ ${#urls[@]} -eq 0 ]]; then
    echo "seed_status_loop.sh: no environments found" >&2
    exit 2
fi

generate_environment_summary() {
    local i env env_url version health uptime orchestrator
    for i in "${!urls[@]}"; do
        env="${names[$i]}"
        env_url="${urls[$i]%/}"
        version=$(curl -s --max-time 5 "$env_url$API_PREFIX/admin/version" | jq -r '.umig.version // "unknown"')
        health=$(curl -s --max-time 5 "$env_url$API_PREFIX/admin/health" | jq -r '.umig.status // "unknown"')
        uptime=$(curl -s --max-time 5 "$env_url$API_PREFIX/admin/health" | jq -r '.umig.uptime // "unknown"')
        if [[ "$MODE" == "summary" ]]; then
            printf "%-12s | %-10s | %-8s | %s\n" "$env" "$version" "$health" "$uptime"
        else
            orchestrator=$(curl -s --max-time 5 "$env_url$API_PREFIX/admin/components" | jq -r '.orchestrator.status // "unknown"')
            printf "%-12s | %-10s | %-8s | %-12s | %s\n" "$env" "$version" "$health" "$uptime" "$orchestrator"
        fi
    done
}

generate_environment_summary

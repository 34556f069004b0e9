"""What the Poller's scheduling costs a poll, with nothing else (a diagnostic: run_all skips it).

Runs every environment's loop (``Poller.run_env``, as the dashboard's workers do) against fake
clients that answer at once (one ``sleep(0)``, a result built in place: no HTTP, no parsing,
no store), at short intervals so thousands of polls land in a few seconds, and prints the
process CPU per poll: tasks, wake-ups, deadlines, the breaker, the result handed on.

    .venv/bin/python bench/profile_poller.py [--envs 50] [--seconds 8] [--interval 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from umig_tui.config import Config, Environment, Polling
from umig_tui.models import Endpoint, PollResult, Tier
from umig_tui.polling.poller import Poller


class InstantClient:
    """What the poller needs of a client, answering at once."""

    def __init__(self, env: str) -> None:
        self.env = env

    async def fetch(self, endpoint: Endpoint) -> PollResult:
        await asyncio.sleep(0)
        return PollResult(self.env, endpoint, time.time(), 1.0)

    async def aclose(self) -> None:
        pass


async def measure(envs: int, seconds: float, interval: float) -> tuple[float, int]:
    names = [f"env-{i}" for i in range(envs)]
    config = Config(
        environments=tuple(Environment(n, f"http://{n}.invalid", Tier.DEVELOPMENT) for n in names),
        polling=Polling(
            health=interval, metrics=interval, components=3 * interval, version=3 * interval
        ),
    )
    polls = 0

    def count(_result: PollResult) -> None:
        nonlocal polls
        polls += 1

    clients = {n: InstantClient(n) for n in names}
    poller = Poller(config, clients, on_result=count)  # type: ignore[arg-type]
    loops = [asyncio.create_task(poller.run_env(n)) for n in names]
    await asyncio.sleep(1.0)  # every loop on the grid
    first, cpu = polls, time.process_time()
    await asyncio.sleep(seconds)
    spent, done = time.process_time() - cpu, polls - first
    for loop in loops:
        loop.cancel()
    await asyncio.gather(*loops, return_exceptions=True)
    await poller.aclose()
    return spent, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--interval", type=float, default=0.2, help="health and metrics (s)")
    args = parser.parse_args()
    spent, polls = asyncio.run(measure(args.envs, args.seconds, args.interval))
    print(
        f"{polls} polls of {args.envs} environments in {args.seconds:g} s: "
        f"{spent / max(1, polls) * 1e6:.1f} µs of CPU per poll for the scheduling alone"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Which fleet a run watches: the configuration, or the demo fleet when there is none."""

from __future__ import annotations

from collections.abc import Mapping

from umig_tui.config import Config, ConfigError, check_expected, load_config, with_profile


def load_fleet(
    explicit: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    demo: bool = False,
    demo_envs: int = 4,
    profile: str | None = None,
) -> Config:
    """The effective configuration: file + environment variables, or the demo fleet (asked
    for, or nothing configured). ``profile`` is ``--profile``."""
    config = load_config(explicit, environ=environ, overrides=not demo)
    return fleet_from(config, demo=demo, demo_envs=demo_envs, profile=profile)


def fleet_from(
    config: Config, *, demo: bool = False, demo_envs: int = 4, profile: str | None = None
) -> Config:
    """:func:`load_fleet` for a configuration already read (by ``load_config``)."""
    if not demo and not config.environments and config.source is not None:
        # Only the absence of any config means the demo: a truncated production config that
        # ran the demo and said "4 healthy" would pass every check that reads it.
        raise ConfigError(f"no environments in {config.source} (use --demo for the demo fleet)")
    if demo or not config.environments:
        from umig_tui.demo.fleet import demo_config  # only for the demo fleet

        config = demo_config(config, demo_envs)
    if profile is not None:
        config = with_profile(config, profile)
    check_expected(config)
    return config

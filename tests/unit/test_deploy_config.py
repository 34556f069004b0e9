"""``[deploy]``: what a deploy verdict rests on (min_samples, confidence, tolerance, soak), with
bounds that name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from umig_tui.config import ConfigError, parse_config_text
from umig_tui.config.model import DeploySettings

ENV = '[[environments]]\nname = "production"\nurl = "http://127.0.0.1:9"\n'


def test_defaults_without_the_table() -> None:
    config = parse_config_text(ENV)
    assert config.deploy == DeploySettings(min_samples=20, confidence=0.95, tolerance=0.10)
    assert config.deploy.soak == 0.0


def test_every_key_is_read() -> None:
    text = ENV + '[deploy]\nmin_samples = 50\nconfidence = 0.99\ntolerance = 0.05\nsoak = "12h"\n'
    deploy = parse_config_text(text).deploy
    assert (deploy.min_samples, deploy.confidence, deploy.tolerance, deploy.soak) == (
        50,
        0.99,
        0.05,
        43200.0,
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("min_samples = 3", "deploy.min_samples"),
        ("confidence = 1.5", "deploy.confidence"),
        ("tolerance = -0.1", "deploy.tolerance"),
        ('soak = "soon"', "deploy.soak"),
        ("samples = 20", "samples"),
    ],
)
def test_bad_values_name_the_key_and_line(line: str, message: str) -> None:
    text = ENV + "[deploy]\n" + line + "\n"
    with pytest.raises(ConfigError) as caught:
        parse_config_text(text, Path("umig-tui.toml"))
    assert message in str(caught.value)
    assert "umig-tui.toml:5" in str(caught.value)

"""``[display] utc``: the config's way to say ``--utc`` for good."""

from __future__ import annotations

import pytest

from umig_tui.config import ConfigError
from umig_tui.config.lookup import parse_config_text

FLEET = '[[environments]]\nname = "production"\nurl = "https://prod.example"\n'


def test_display_utc_is_read_and_defaults_to_local_time() -> None:
    assert parse_config_text(FLEET).display_utc is False
    assert parse_config_text("[display]\nutc = true\n" + FLEET).display_utc is True


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[display]\nutc = 'yes'\n", "display.utc"),
        ("[display]\nzone = 'UTC'\n", "zone"),
    ],
)
def test_a_wrong_display_setting_is_named(text: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        parse_config_text(text + FLEET)

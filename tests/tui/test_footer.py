"""The key footer is rebuilt only when the keys it shows change (tui/widgets/footer.py)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tests.tui.conftest import AppFactory, wait_for
from umig_tui.tui.widgets.table import SyncTable


@pytest.fixture
def rebuilt(monkeypatch: pytest.MonkeyPatch) -> list[Footer]:
    """Every footer that Textual's recompose ran for."""
    built: list[Footer] = []
    original = Footer.recompose

    async def counting(self: Footer) -> None:
        built.append(self)
        await original(self)

    monkeypatch.setattr(Footer, "recompose", counting)
    return built


def keys(app: Any) -> list[str]:
    return [key.key for key in app.screen.query(FooterKey)]


async def test_the_footer_is_rebuilt_only_when_its_keys_change(
    make_app: AppFactory, rebuilt: list[Footer]
) -> None:
    app = make_app(use_store=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "q" in keys(app), "the footer's keys")
        await pilot.pause(0.3)  # any further bindings update of the start has been handled
        assert len(rebuilt) == 1  # Textual's Footer rebuilt its 14 keys three times here
        app.query_one("#drift-matrix", SyncTable).focus()  # no Details key there
        await wait_for(pilot, lambda: len(rebuilt) == 2, "the footer without Details")
        await pilot.pause(0.3)
        shown = keys(app)
        app.query_one("#drift-findings", SyncTable).focus()  # the same panel: the same keys
        await pilot.pause(0.3)
        assert len(rebuilt) == 2
        assert keys(app) == shown
        app.set_keymap({"quit": "x"})  # another key: rebuilt
        await wait_for(pilot, lambda: "x" in keys(app) and "q" not in keys(app), "the new key")
        assert len(rebuilt) == 3


async def test_no_key_is_restyled_as_it_mounts(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each key comes with the ``-compact`` class its watcher would add: adding it to a mounted
    key restyled the keys one by one on the way to the first frame."""
    restyled: list[object] = []
    original = App.update_styles

    def recording(self: App[Any], node: Any, animate: bool = True) -> None:
        if isinstance(node, FooterKey):
            restyled.append(node)
        original(self, node, animate)

    monkeypatch.setattr(App, "update_styles", recording)
    app = make_app(use_store=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "q" in keys(app), "the footer's keys")
        shown = list(app.screen.query(FooterKey))
        assert shown
        assert all(key.has_class("-compact") for key in shown)
        assert restyled == []

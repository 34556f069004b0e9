"""The key footer, rebuilt only when the keys it shows change.

Textual's Footer removes and mounts all its keys again (14 widgets on the main screen, each
styled and laid out: ~40 ms on a small VM) at every bindings update of its screen: three times
while the dashboard starts, on the way to its first frame, and again at every focus change,
though the keys shown are the same. This one compares what it would show with what it shows.

Each key it mounts is given the ``-compact`` class it is about to get: a FooterKey's ``compact``
is True from the start, and its watcher adding the class to a mounted key restyled that key,
one by one (~7 ms for the dashboard's keys, on the way to its first frame).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeyFooter(Footer):
    """A Footer that recomposes only when its keys (or their state) differ."""

    _shown: tuple[object, ...] | None = None

    def _keys(self) -> tuple[object, ...]:
        """What compose would show: every shown binding, enabled or not, with its tooltip
        (Binding is a frozen dataclass: equal when key, action, description and group are)."""
        active = self.screen.active_bindings
        shown = tuple(
            (binding, enabled, tooltip)
            for _node, binding, enabled, tooltip in active.values()
            if binding.show
        )
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        return (
            self._bindings_ready,
            self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE,
            shown,
            palette[1:] if palette is not None else None,
        )

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.add_class("-compact", update=False)  # as its compact watcher will
            yield widget

    async def recompose(self) -> None:
        if not self.is_attached:
            return
        keys = self._keys()
        if keys == self._shown:
            return
        self._shown = keys
        await super().recompose()

"""SyncTable repaints exactly what changed: the rendered lines, not just its data."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from umig_tui.tui.widgets.table import SyncTable

COLUMNS = ("env", "status", "latency")


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield SyncTable(id="t")


def shown(table: SyncTable) -> list[str]:
    """The lines the table draws now (header first), trailing blanks dropped."""
    return [table.render_line(y).text.rstrip() for y in range(table.size.height)]


def rows(latency: dict[str, str], status: str = "healthy") -> list[tuple[str, list[Text | str]]]:
    return [(name, [name, Text(status), value]) for name, value in latency.items()]


async def test_changed_cells_are_redrawn_in_place() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 8)) as pilot:
        table = app.query_one(SyncTable)
        table.sync(COLUMNS, rows({"dev": "12ms", "uat": "30ms", "prod": "45ms"}))
        await pilot.pause()
        before = shown(table)
        assert "12ms" in before[1]
        assert "45ms" in before[3]
        renders = table._update_count  # a whole-table re-render bumps this

        # Same width: only the cell is forgotten and redrawn.
        table.sync(COLUMNS, rows({"dev": "99ms", "uat": "30ms", "prod": "45ms"}))
        await pilot.pause()
        after = shown(table)
        assert "99ms" in after[1]
        assert "12ms" not in after[1]
        assert after[2:] == before[2:]
        assert table._update_count == renders

        # A wider value widens its column (a full update) and is never cut.
        table.sync(COLUMNS, rows({"dev": "99ms", "uat": "1234567ms", "prod": "45ms"}))
        await pilot.pause()
        assert "1234567ms" in shown(table)[2]

        # A style-only change (a colour) is still a change.
        table.sync(COLUMNS, rows({"dev": "99ms", "uat": "1234567ms", "prod": "45ms"}, "down"))
        await pilot.pause()
        assert all("down" in line for line in shown(table)[1:4])


async def test_the_cursor_row_is_redrawn_too() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 8)) as pilot:
        table = app.query_one(SyncTable)
        table.sync(COLUMNS, rows({"dev": "12ms", "uat": "30ms"}))
        table.focus()
        await pilot.press("down")
        await pilot.pause()
        assert table.cursor_row == 1
        table.sync(COLUMNS, rows({"dev": "12ms", "uat": "77ms"}))
        await pilot.pause()
        assert "77ms" in shown(table)[2]
        await pilot.press("up")
        await pilot.pause()
        table.sync(COLUMNS, rows({"dev": "12ms", "uat": "78ms"}))
        await pilot.pause()
        assert "78ms" in shown(table)[2]

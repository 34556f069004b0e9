"""SyncTable repaints exactly what changed: the rendered lines, not just its data."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.coordinate import Coordinate
from textual.geometry import Region

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


async def test_only_the_changed_cells_in_view_are_refreshed_where_datatable_draws_them() -> None:
    """The regions refreshed are the ones DataTable gives those cells, scrolled: found from the
    columns' places and the rows' lines once per sync, not per cell (where DataTable walks
    every row above the cell: a third of a 50-row repaint)."""
    app = TableApp()
    async with app.run_test(size=(60, 8)) as pilot:
        table = app.query_one(SyncTable)
        latency = {f"env-{n:02d}": f"{n}ms" for n in range(30)}
        table.sync(COLUMNS, rows(latency))
        await pilot.pause()
        table.scroll_to(y=10, animate=False)
        await pilot.pause()
        assert table.scroll_offset.y == 10
        refreshed: list[Region] = []
        refresh = table.refresh

        def recording(*regions: Region, **options: bool) -> SyncTable:
            refreshed.extend(regions)
            return refresh(*regions, **options)

        table.refresh = recording  # type: ignore[method-assign]
        renders = table._update_count
        changed = {**latency, "env-02": "5ms", "env-12": "77ms", "env-13": "78ms"}
        table.sync(COLUMNS, rows(changed, status="healthy"))
        expected = [
            table._get_cell_region(Coordinate(row, 2)).translate(-table.scroll_offset)
            for row in (12, 13)  # env-02 is scrolled out of view: drawn when it comes back
        ]
        assert refreshed == expected
        await pilot.pause()
        assert renders == table._update_count  # no whole-table re-render
        assert "77ms" in " ".join(shown(table))

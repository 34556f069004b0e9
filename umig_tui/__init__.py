"""umig-tui: a terminal monitor for every environment of the UMIG application."""

__version__ = "0.1.0"

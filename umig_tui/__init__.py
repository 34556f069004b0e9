"""umig-tui: a terminal monitor for every environment of the UMIG application."""

__version__ = "0.1.0"
APP_NAME = "umig-tui"  # the directories it keeps its config and state in

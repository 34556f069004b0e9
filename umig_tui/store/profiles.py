"""The endpoint profile each environment was found to speak, kept with the time it was found."""

from __future__ import annotations

import msgspec

from umig_tui.store.store import Store


class StoredProfile(msgspec.Struct, frozen=True):
    env: str
    url: str  # the base URL it was found at: another URL is another installation
    profile: str
    variant: str
    detected_at: float


async def save_profile(store: Store, choice: StoredProfile) -> bool:
    return await store.execute(
        [
            (
                "INSERT OR REPLACE INTO profiles (env, url, profile, variant, detected_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(choice.env, choice.url, choice.profile, choice.variant, choice.detected_at)],
            )
        ]
    )


async def load_profiles(store: Store) -> dict[str, StoredProfile]:
    # A store an older version wrote, opened read-only, was never migrated: no table, no error.
    tables = await store.query("SELECT 1 FROM sqlite_master WHERE name = 'profiles'")
    if not tables:
        return {}
    rows = await store.query("SELECT env, url, profile, variant, detected_at FROM profiles")
    return {row[0]: StoredProfile(row[0], row[1], row[2], row[3], row[4]) for row in rows}

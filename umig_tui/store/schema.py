"""The SQLite schema and its migrations, versioned with ``PRAGMA user_version``."""

from __future__ import annotations

# Each entry migrates from version i to i + 1. Never edit a released entry; append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE series (
        id INTEGER PRIMARY KEY,
        env TEXT NOT NULL,
        metric TEXT NOT NULL,
        UNIQUE (env, metric)
    );
    -- Raw samples, ts in epoch milliseconds.
    CREATE TABLE samples (
        series_id INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (series_id, ts)
    ) WITHOUT ROWID;
    -- Rollups, filled as samples arrive; bucket is the bucket's start in epoch seconds.
    CREATE TABLE rollup_1m (
        series_id INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        n INTEGER NOT NULL,
        vsum REAL NOT NULL,
        vmin REAL NOT NULL,
        vmax REAL NOT NULL,
        PRIMARY KEY (series_id, bucket)
    ) WITHOUT ROWID;
    CREATE TABLE rollup_1h (
        series_id INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        n INTEGER NOT NULL,
        vsum REAL NOT NULL,
        vmin REAL NOT NULL,
        vmax REAL NOT NULL,
        PRIMARY KEY (series_id, bucket)
    ) WITHOUT ROWID;
    -- The newest result per environment and endpoint, and the newest good body, so a restart
    -- shows the last known state at the first frame.
    CREATE TABLE latest (
        env TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        ts REAL NOT NULL,
        ok INTEGER NOT NULL,
        latency_ms REAL,
        error_kind TEXT,
        error_reason TEXT,
        http_status INTEGER,
        good_ts REAL,
        good_latency_ms REAL,
        good_body TEXT,
        PRIMARY KEY (env, endpoint)
    ) WITHOUT ROWID;
    CREATE TABLE poll_errors (
        env TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        ts REAL NOT NULL,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        http_status INTEGER
    );
    CREATE INDEX poll_errors_env_ts ON poll_errors (env, ts);
    CREATE INDEX poll_errors_ts ON poll_errors (ts);
    -- Deployments, alerts, status changes: one timeline.
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        env TEXT,
        kind TEXT NOT NULL,
        severity TEXT,
        summary TEXT NOT NULL,
        data TEXT
    );
    CREATE INDEX events_ts ON events (ts);
    CREATE INDEX events_env_ts ON events (env, ts);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: alert state that survives a restart, and performance baselines per version.
    """
    CREATE TABLE alerts (
        rule TEXT NOT NULL,
        env TEXT NOT NULL,
        phase TEXT NOT NULL,
        severity TEXT NOT NULL,
        since REAL NOT NULL,
        fired_at REAL,
        resolved_at REAL,
        value REAL,
        threshold REAL,
        summary TEXT NOT NULL,
        description TEXT NOT NULL,
        updated REAL NOT NULL,
        PRIMARY KEY (rule, env)
    ) WITHOUT ROWID;
    CREATE TABLE baselines (
        env TEXT NOT NULL,
        version TEXT NOT NULL,
        metric TEXT NOT NULL,
        source TEXT NOT NULL,
        set_at REAL NOT NULL,
        window_start REAL NOT NULL,
        window_end REAL NOT NULL,
        n INTEGER NOT NULL,
        avg REAL,
        p95 REAL,
        p99 REAL,
        vmin REAL,
        vmax REAL,
        PRIMARY KEY (env, version, metric)
    ) WITHOUT ROWID;
    """,
    # 3: which endpoint profile each environment was found to speak, so a restart (and every
    # one-shot command) does not probe again.
    """
    CREATE TABLE profiles (
        env TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        profile TEXT NOT NULL,
        variant TEXT NOT NULL,
        detected_at REAL NOT NULL
    ) WITHOUT ROWID;
    """,
    # 4: silences kept in the store (without an Alertmanager), seen by every instance on it.
    """
    CREATE TABLE silences (
        id TEXT PRIMARY KEY,
        env TEXT NOT NULL,
        rule TEXT NOT NULL,
        author TEXT NOT NULL,
        comment TEXT NOT NULL,
        starts_at REAL NOT NULL,
        ends_at REAL NOT NULL,
        created_at REAL NOT NULL,
        expired_by TEXT
    ) WITHOUT ROWID;
    CREATE INDEX silences_ends_at ON silences (ends_at);
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)

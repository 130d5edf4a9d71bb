-- rebuilds tables: foreign keys off
-- 0009_categories: a tip's category is checked against a table, not a CHECK constraint.
--
-- The categories are defined in the code, one module each under bot/categories/; this table holds
-- their keys, so that a new category is one INSERT here instead of a rebuild of tips (the bot
-- refuses to start when the two lists differ). Tips are rebuilt once, by SQLite's twelve steps
-- (https://www.sqlite.org/lang_altertable.html#otheralter): the first line above makes the
-- migration runner switch foreign keys off around this transaction (a DROP TABLE would otherwise
-- delete every tip's indicators, messages and files by cascade) and check them before COMMIT.
-- The columns are those of 0001 and 0006 unchanged but the category's; the indexes (0001, 0004)
-- and the statistics triggers (0004) go with the old table and are created again word for word.

CREATE TABLE categories (
    key TEXT PRIMARY KEY                      -- stored in tips.category; never changes
) STRICT;

INSERT INTO categories (key) VALUES ('crime'), ('forest'), ('fraud'), ('other');

CREATE TABLE tips_new (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,     -- public code both sides see, e.g. in "Tip K7Q2M"
    receipt_hash    TEXT NOT NULL UNIQUE,     -- slow hash of the receipt; the receipt is not stored
    category        TEXT NOT NULL REFERENCES categories (key),
    kind            TEXT,                     -- the questionnaire's "what": logging, burning, ...
    commune_code    INTEGER REFERENCES communes (code),  -- NULL: "I don't know" -> province queue
    urgent          INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
    description     TEXT NOT NULL,
    answers         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(answers)),
    latitude        REAL,
    longitude       REAL,
    status          TEXT NOT NULL DEFAULT 'new' CHECK (status IN
                        ('new', 'acknowledged', 'investigating', 'resolved', 'not_actionable')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    -- When the tip reached its current commune (arrival or transfer): reminders and escalation
    -- count from here, and remember that they were done.
    routed_at       INTEGER NOT NULL,
    reminded_at     INTEGER,
    escalated_at    INTEGER,
    acknowledged_at INTEGER,
    acknowledged_by INTEGER REFERENCES officers (user_id),
    closed_at       INTEGER,
    language        TEXT CHECK (language IN ('vi', 'en')),
    CHECK ((latitude IS NULL) = (longitude IS NULL))
) STRICT;

-- The statistics triggers are not on tips_new yet: the copy leaves the daily totals as they are.
INSERT INTO tips_new (id, code, receipt_hash, category, kind, commune_code, urgent, description, answers, latitude, longitude, status, created_at, updated_at, routed_at, reminded_at, escalated_at, acknowledged_at, acknowledged_by, closed_at, language)
SELECT id, code, receipt_hash, category, kind, commune_code, urgent, description, answers, latitude, longitude, status, created_at, updated_at, routed_at, reminded_at, escalated_at, acknowledged_at, acknowledged_by, closed_at, language
FROM tips;

DROP TABLE tips;
ALTER TABLE tips_new RENAME TO tips;

CREATE INDEX tips_by_commune ON tips (commune_code, status);
CREATE INDEX tips_unacknowledged ON tips (routed_at) WHERE status = 'new';
CREATE INDEX tips_by_created ON tips (created_at);
CREATE INDEX tips_closed ON tips (closed_at) WHERE closed_at IS NOT NULL;

CREATE TRIGGER stats_tip_insert AFTER INSERT ON tips
BEGIN
    INSERT INTO stats_kinds VALUES (
        (NEW.created_at + (SELECT day_offset FROM stats_settings)) / 86400,
        NEW.category, coalesce(NEW.kind, ''), 1
    ) ON CONFLICT DO UPDATE SET tips = tips + 1;
    INSERT INTO stats_communes VALUES (
        (NEW.created_at + (SELECT day_offset FROM stats_settings)) / 86400,
        coalesce(NEW.commune_code, 0), 1
    ) ON CONFLICT DO UPDATE SET tips = tips + 1;
    INSERT INTO stats_statuses VALUES (
        (NEW.created_at + (SELECT day_offset FROM stats_settings)) / 86400, NEW.status, 1
    ) ON CONFLICT DO UPDATE SET tips = tips + 1;
    INSERT INTO stats_ack VALUES (
        (NEW.created_at + (SELECT day_offset FROM stats_settings)) / 86400, NEW.urgent,
        CASE
            WHEN NEW.acknowledged_at IS NULL THEN -1
            WHEN NEW.acknowledged_at - NEW.created_at < 0 THEN 0
            WHEN NEW.acknowledged_at - NEW.created_at < 3600
                THEN (NEW.acknowledged_at - NEW.created_at) / 60 * 60
            WHEN NEW.acknowledged_at - NEW.created_at < 86400
                THEN (NEW.acknowledged_at - NEW.created_at) / 600 * 600
            WHEN NEW.acknowledged_at - NEW.created_at < 604800
                THEN (NEW.acknowledged_at - NEW.created_at) / 3600 * 3600
            ELSE (NEW.acknowledged_at - NEW.created_at) / 86400 * 86400
        END,
        1
    ) ON CONFLICT DO UPDATE SET tips = tips + 1;
END;

CREATE TRIGGER stats_tip_delete AFTER DELETE ON tips
BEGIN
    UPDATE stats_kinds SET tips = tips - 1
    WHERE day = (OLD.created_at + (SELECT day_offset FROM stats_settings)) / 86400
        AND category = OLD.category AND kind = coalesce(OLD.kind, '');
    UPDATE stats_communes SET tips = tips - 1
    WHERE day = (OLD.created_at + (SELECT day_offset FROM stats_settings)) / 86400
        AND commune_code = coalesce(OLD.commune_code, 0);
    UPDATE stats_statuses SET tips = tips - 1
    WHERE day = (OLD.created_at + (SELECT day_offset FROM stats_settings)) / 86400
        AND status = OLD.status;
    UPDATE stats_ack SET tips = tips - 1
    WHERE day = (OLD.created_at + (SELECT day_offset FROM stats_settings)) / 86400
        AND urgent = OLD.urgent
        AND bucket = CASE
            WHEN OLD.acknowledged_at IS NULL THEN -1
            WHEN OLD.acknowledged_at - OLD.created_at < 0 THEN 0
            WHEN OLD.acknowledged_at - OLD.created_at < 3600
                THEN (OLD.acknowledged_at - OLD.created_at) / 60 * 60
            WHEN OLD.acknowledged_at - OLD.created_at < 86400
                THEN (OLD.acknowledged_at - OLD.created_at) / 600 * 600
            WHEN OLD.acknowledged_at - OLD.created_at < 604800
                THEN (OLD.acknowledged_at - OLD.created_at) / 3600 * 3600
            ELSE (OLD.acknowledged_at - OLD.created_at) / 86400 * 86400
        END;
END;

CREATE TRIGGER stats_tip_kind AFTER UPDATE OF category, kind, created_at ON tips
WHEN OLD.category IS NOT NEW.category OR OLD.kind IS NOT NEW.kind
    OR OLD.created_at IS NOT NEW.created_at
BEGIN
    UPDATE stats_kinds SET tips = tips - 1
    WHERE day = (OLD.created_at + (SELECT day_offset FROM stats_settings)) / 86400
        AND category = OLD.category AND kind = coalesce(OLD.kind, '');
    INSERT INTO stats_kinds VALUES (
        (NEW.created_at + (SELECT day_offset FROM stats_settings)) / 86400,
        NEW.category, coalesce(NEW.kind, ''), 1
    ) ON CONFLICT DO UPDATE SET tips = tips + 1;
END;

CREATE TRIGGER stats_tip_commune AFTER UPDATE OF commune_code, created_at ON tips
WHEN OLD.commune_code IS NOT NEW.commune_code OR OLD.created_at IS NOT NEW.created_at
BEGIN
    UPDATE stats_communes SET tips = tips - 1
    WHERE day = (OLD.created_at + (SELECT day_offset FROM stats_settings)) / 86400
        AND commune_code = coalesce(OLD.commune_code, 0);
    INSERT INTO stats_communes VALUES (
        (NEW.created_at + (SELECT day_offset FROM stats_settings)) / 86400,
        coalesce(NEW.commune_code, 0), 1
    ) ON CONFLICT DO UPDATE SET tips = tips + 1;
END;

CREATE TRIGGER stats_tip_status AFTER UPDATE OF status, created_at ON tips
WHEN OLD.status IS NOT NEW.status OR OLD.created_at IS NOT NEW.created_at
BEGIN
    UPDATE stats_statuses SET tips = tips - 1
    WHERE day = (OLD.created_at + (SELECT day_offset FROM stats_settings)) / 86400
        AND status = OLD.status;
    INSERT INTO stats_statuses VALUES (
        (NEW.created_at + (SELECT day_offset FROM stats_settings)) / 86400, NEW.status, 1
    ) ON CONFLICT DO UPDATE SET tips = tips + 1;
END;

CREATE TRIGGER stats_tip_ack AFTER UPDATE OF acknowledged_at, urgent, created_at ON tips
WHEN OLD.acknowledged_at IS NOT NEW.acknowledged_at OR OLD.urgent IS NOT NEW.urgent
    OR OLD.created_at IS NOT NEW.created_at
BEGIN
    UPDATE stats_ack SET tips = tips - 1
    WHERE day = (OLD.created_at + (SELECT day_offset FROM stats_settings)) / 86400
        AND urgent = OLD.urgent
        AND bucket = CASE
            WHEN OLD.acknowledged_at IS NULL THEN -1
            WHEN OLD.acknowledged_at - OLD.created_at < 0 THEN 0
            WHEN OLD.acknowledged_at - OLD.created_at < 3600
                THEN (OLD.acknowledged_at - OLD.created_at) / 60 * 60
            WHEN OLD.acknowledged_at - OLD.created_at < 86400
                THEN (OLD.acknowledged_at - OLD.created_at) / 600 * 600
            WHEN OLD.acknowledged_at - OLD.created_at < 604800
                THEN (OLD.acknowledged_at - OLD.created_at) / 3600 * 3600
            ELSE (OLD.acknowledged_at - OLD.created_at) / 86400 * 86400
        END;
    INSERT INTO stats_ack VALUES (
        (NEW.created_at + (SELECT day_offset FROM stats_settings)) / 86400, NEW.urgent,
        CASE
            WHEN NEW.acknowledged_at IS NULL THEN -1
            WHEN NEW.acknowledged_at - NEW.created_at < 0 THEN 0
            WHEN NEW.acknowledged_at - NEW.created_at < 3600
                THEN (NEW.acknowledged_at - NEW.created_at) / 60 * 60
            WHEN NEW.acknowledged_at - NEW.created_at < 86400
                THEN (NEW.acknowledged_at - NEW.created_at) / 600 * 600
            WHEN NEW.acknowledged_at - NEW.created_at < 604800
                THEN (NEW.acknowledged_at - NEW.created_at) / 3600 * 3600
            ELSE (NEW.acknowledged_at - NEW.created_at) / 86400 * 86400
        END,
        1
    ) ON CONFLICT DO UPDATE SET tips = tips + 1;
END;

-- This migration is done: the database is now at version 9.
PRAGMA user_version = 9;

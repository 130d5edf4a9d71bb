-- Fraud indicators (phone, account, link, app) that officers confirmed when resolving a fraud
-- tip: the warnings /check gives everyone. Only the tip's code, kind and a date are kept with
-- them, never anything about the tipster. A wrong confirmation is withdrawn, not deleted, so the
-- audit log and the statistics still add up.
CREATE TABLE confirmed_indicators (
    id           INTEGER PRIMARY KEY,
    tip_id       INTEGER REFERENCES tips (id) ON DELETE SET NULL,
    tip_code     TEXT NOT NULL,
    scam_kind    TEXT,                        -- the tip's kind: impersonation, investment...
    kind         TEXT NOT NULL CHECK (kind IN ('phone', 'account', 'link', 'app')),
    value        TEXT NOT NULL,               -- normalised like tip_indicators.value
    display      TEXT NOT NULL,
    confirmed_by INTEGER NOT NULL REFERENCES officers (user_id),
    confirmed_at INTEGER NOT NULL,
    withdrawn_by INTEGER REFERENCES officers (user_id),
    withdrawn_at INTEGER,
    UNIQUE (tip_code, kind, value)
) STRICT;
CREATE INDEX confirmed_indicators_by_value ON confirmed_indicators (kind, value)
    WHERE withdrawn_at IS NULL;

-- How many /check queries were made and what they found, per day: counts only, no query text
-- and no one who asked.
CREATE TABLE check_counts (
    day     TEXT NOT NULL,                    -- YYYY-MM-DD in the province's time zone
    outcome TEXT NOT NULL CHECK (outcome IN ('confirmed', 'reported', 'unknown', 'invalid')),
    count   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, outcome)
) STRICT;

-- This migration is done: the database is now at version 5.
PRAGMA user_version = 5;

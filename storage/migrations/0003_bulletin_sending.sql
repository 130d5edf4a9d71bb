-- 0003_bulletin_sending: what the broadcast engine, schedules and the channel need on top of 0001.

-- Deliveries are retried with backoff: a transient error puts the row back to 'pending' with
-- the time of its next attempt. The sender reads pending rows in subscriber order, a batch at a
-- time after the last one it read; this index serves exactly that (the 0001 one could not order).
ALTER TABLE deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN error TEXT;
DROP INDEX deliveries_pending;
CREATE INDEX deliveries_due ON deliveries (broadcast_id, subscriber_id) WHERE status = 'pending';

-- A finished broadcast keeps its totals and drops its delivery rows: which broadcasts a chat
-- received would bound when it subscribed, and the offer to subscribe follows a tip.
ALTER TABLE broadcasts ADD COLUMN recipients INTEGER;
ALTER TABLE broadcasts ADD COLUMN started_at INTEGER;
ALTER TABLE broadcasts ADD COLUMN sent_count INTEGER;
ALTER TABLE broadcasts ADD COLUMN failed_count INTEGER;
ALTER TABLE broadcasts ADD COLUMN blocked_count INTEGER;

-- The latest slot a schedule dealt with (sent, or found nothing to send). A restart catches up a
-- slot it missed only if it is later than this, so a slot is never sent twice and a slot that
-- passed while the schedule was paused is never sent at all.
ALTER TABLE schedules ADD COLUMN last_slot_at INTEGER;

-- One-off sends at a given time. A topic send (slug NULL) picks its bulletin when it starts.
CREATE TABLE planned_sends (
    id           INTEGER PRIMARY KEY,
    topic        TEXT NOT NULL,
    slug         TEXT,
    send_at      INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'planned'
                     CHECK (status IN ('planned', 'started', 'cancelled', 'missed')),
    request_key  TEXT UNIQUE,                -- the confirmation it came from: a double tap plans once
    broadcast_id INTEGER REFERENCES broadcasts (id) ON DELETE SET NULL,
    created_by   INTEGER REFERENCES officers (user_id),
    created_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX planned_sends_due ON planned_sends (send_at) WHERE status = 'planned';

-- Each bulletin goes to the configured channel once; a row per bulletin and channel, marked
-- 'sending' before the call like a delivery.
CREATE TABLE channel_posts (
    slug            TEXT NOT NULL,
    channel         TEXT NOT NULL,           -- TIPBOT_CHANNEL_ID as configured
    broadcast_id    INTEGER REFERENCES broadcasts (id) ON DELETE SET NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    message_id      INTEGER,
    error           TEXT,
    PRIMARY KEY (slug, channel)
) STRICT;

CREATE INDEX channel_posts_by_broadcast ON channel_posts (broadcast_id) WHERE status = 'pending';

-- This migration is done: the database is now at version 3.
PRAGMA user_version = 3;

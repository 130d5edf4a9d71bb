-- 0001_initial: the first schema of tipbot, for every flow in shared/design.md.
--
-- Conventions
--   * Times are unix seconds (UTC) in INTEGER columns named *_at.
--   * JSON lives in TEXT columns checked with json_valid().
--   * Tables are STRICT: a value of the wrong type is an error, not a silent conversion.
--   * Enumerations the design fixes are CHECKed; open-ended ones (attachment kinds, topics,
--     outbox kinds) are not, so adding one needs no table rebuild.
--
-- Anonymity by construction
--   * No tip-side table (tips, tip_*, drafts) has a column for a resident's Telegram user id,
--     username, name or phone.
--   * Where the bot must recognise a resident again (drafts, preferences, bans, rate limits) it
--     uses a pseudonym: HMAC-SHA256(server key, user id) in hex, computed by the application with
--     a key that is not in this database.
--   * Tips do not hold even the pseudonym. The only way back to a tipster is tip_way_back.sealed,
--     encrypted by the application, deleted when the closed tip's retention ends.
--   * Officers and admins are staff: they are identified by Telegram user id on purpose.


-- Administrative units, loaded from the vietnam-provinces package (bot/communes.py) ------------

CREATE TABLE communes (
    code          INTEGER PRIMARY KEY,  -- official code of the commune / ward (mã đơn vị hành chính)
    name          TEXT NOT NULL,        -- "Phường Lâm Viên - Đà Lạt"
    division_type TEXT NOT NULL,        -- xã | phường | đặc khu
    search_name   TEXT NOT NULL,        -- folded for search: "lam vien da lat"
    province_code INTEGER NOT NULL
) STRICT;

CREATE INDEX communes_by_province ON communes (province_code);

-- Pre-2025 names residents still use ("Huyện Bảo Lâm", "Phường 1"), each leading to today's
-- commune. An old unit split between several communes has one row per commune.
CREATE TABLE commune_aliases (
    commune_code  INTEGER NOT NULL REFERENCES communes (code) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('ward', 'district')),
    legacy_code   INTEGER NOT NULL,     -- the pre-2025 ward or district code
    name          TEXT NOT NULL,
    district_name TEXT,                 -- a ward's old district: tells the many "Phường 1" apart
    search_name   TEXT NOT NULL,
    PRIMARY KEY (commune_code, kind, legacy_code)
) STRICT;

-- Which package data each province was loaded from, so that start-up skips an unchanged reload.
CREATE TABLE commune_sources (
    province_code INTEGER PRIMARY KEY,
    version       TEXT NOT NULL,
    synced_at     INTEGER NOT NULL
) STRICT;


-- Residents ---------------------------------------------------------------------------------

CREATE TABLE resident_prefs (
    pseudonym TEXT PRIMARY KEY,
    language  TEXT NOT NULL
) STRICT;

-- A draft tip survives restarts (even kill -9): it is saved at every step of the flow.
CREATE TABLE drafts (
    pseudonym  TEXT PRIMARY KEY,
    step       TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
    updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX drafts_by_expiry ON drafts (expires_at);

CREATE TABLE bans (
    pseudonym  TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    banned_by  INTEGER REFERENCES officers (user_id),
    created_at INTEGER NOT NULL
) STRICT;

-- Fixed windows: one row per pseudonym, bucket (what is limited) and window.
CREATE TABLE rate_limits (
    pseudonym    TEXT NOT NULL,
    bucket       TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (pseudonym, bucket, window_start)
) STRICT;


-- Staff -------------------------------------------------------------------------------------

CREATE TABLE officers (
    user_id    INTEGER PRIMARY KEY,     -- Telegram user id, also their private chat with the bot
    name       TEXT,                    -- as Telegram showed it, for the admins' lists
    -- Admins are named in TIPBOT_ADMIN_IDS; their rows exist so that foreign keys hold.
    role       TEXT NOT NULL DEFAULT 'officer' CHECK (role IN ('officer', 'admin')),
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE officer_communes (
    officer_id   INTEGER NOT NULL REFERENCES officers (user_id) ON DELETE CASCADE,
    commune_code INTEGER NOT NULL REFERENCES communes (code),
    PRIMARY KEY (officer_id, commune_code)
) STRICT;

CREATE INDEX officer_communes_by_commune ON officer_communes (commune_code);

-- A commune's Telegram group, where its tips are posted; one group may serve several communes.
CREATE TABLE commune_groups (
    chat_id      INTEGER NOT NULL,
    commune_code INTEGER NOT NULL REFERENCES communes (code),
    title        TEXT,
    linked_by    INTEGER NOT NULL REFERENCES officers (user_id),
    linked_at    INTEGER NOT NULL,
    PRIMARY KEY (chat_id, commune_code)
) STRICT;

CREATE INDEX commune_groups_by_commune ON commune_groups (commune_code);

-- One-time onboarding links. Only a hash of the token is kept: the token is the link itself.
CREATE TABLE invites (
    token_hash   TEXT PRIMARY KEY,
    commune_code INTEGER NOT NULL REFERENCES communes (code),
    created_by   INTEGER NOT NULL REFERENCES officers (user_id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER,
    used_by      INTEGER REFERENCES officers (user_id)
) STRICT;


-- Tips --------------------------------------------------------------------------------------

CREATE TABLE tips (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,     -- public code both sides see, e.g. in "Tip K7Q2M"
    receipt_hash    TEXT NOT NULL UNIQUE,     -- slow hash of the receipt; the receipt is not stored
    category        TEXT NOT NULL CHECK (category IN ('crime', 'forest', 'fraud', 'other')),
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
    CHECK ((latitude IS NULL) = (longitude IS NULL))
) STRICT;

CREATE INDEX tips_by_commune ON tips (commune_code, status);
CREATE INDEX tips_unacknowledged ON tips (routed_at) WHERE status = 'new';

-- What a fraud tip names: values are normalised (E.164 phone, bare account number, host...) so
-- that the same scammer reported twice gives the same value.
CREATE TABLE tip_indicators (
    id     INTEGER PRIMARY KEY,
    tip_id INTEGER NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    kind   TEXT NOT NULL CHECK (kind IN ('phone', 'account', 'link', 'app', 'amount')),
    value  TEXT NOT NULL,
    raw    TEXT NOT NULL,                     -- as the tipster typed it
    bank   TEXT                               -- for an account
) STRICT;

CREATE INDEX tip_indicators_by_tip ON tip_indicators (tip_id);
CREATE INDEX tip_indicators_by_value ON tip_indicators (kind, value);

-- Media are kept as Telegram file ids and reach officers as copies, never forwards.
CREATE TABLE tip_attachments (
    tip_id         INTEGER NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,          -- the order the tipster sent them in
    kind           TEXT NOT NULL,             -- photo | video | voice | document | ...
    file_id        TEXT NOT NULL,
    file_unique_id TEXT NOT NULL,
    PRIMARY KEY (tip_id, position)
) STRICT;

-- The conversation about a tip. question: an officer asks the tipster; answer: the tipster
-- replies (the only rows without an officer); note: officers only; reply: public, shown by /status.
CREATE TABLE tip_messages (
    id         INTEGER PRIMARY KEY,
    tip_id     INTEGER NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('question', 'answer', 'note', 'reply')),
    body       TEXT NOT NULL,
    officer_id INTEGER REFERENCES officers (user_id),
    created_at INTEGER NOT NULL,
    CHECK ((kind = 'answer') = (officer_id IS NULL))
) STRICT;

CREATE INDEX tip_messages_by_tip ON tip_messages (tip_id);

-- One row per change: the status and commune after it, and who made it (NULL: the arrival).
CREATE TABLE tip_status_history (
    id           INTEGER PRIMARY KEY,
    tip_id       INTEGER NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    status       TEXT NOT NULL,
    commune_code INTEGER REFERENCES communes (code),
    officer_id   INTEGER REFERENCES officers (user_id),
    changed_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX tip_status_history_by_tip ON tip_status_history (tip_id);

-- Every message the bot sent to officers about a tip, so that all of them can be edited when
-- the tip changes. The chats are officers' private chats and commune groups, never the tipster.
CREATE TABLE tip_notifications (
    tip_id     INTEGER NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (chat_id, message_id)
) STRICT;

CREATE INDEX tip_notifications_by_tip ON tip_notifications (tip_id);

-- The way back to the tipster: chat id and pseudonym sealed with AES-GCM by the application,
-- under a key kept outside the database. A table of its own so that retention deletes rows.
CREATE TABLE tip_way_back (
    tip_id       INTEGER PRIMARY KEY REFERENCES tips (id) ON DELETE CASCADE,
    sealed       BLOB NOT NULL,
    delete_after INTEGER                      -- set when the tip closes
) STRICT;

CREATE INDEX tip_way_back_by_expiry ON tip_way_back (delete_after) WHERE delete_after IS NOT NULL;


-- Outgoing messages -------------------------------------------------------------------------

-- Messages that must survive a crash: written first, sent by a worker, retried with backoff.
-- A message to a tipster names the tip, not a chat: the sender opens tip_way_back at send time,
-- so the outbox never pairs a tipster's chat with a tip.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,            -- what the sender renders: tip_ack, question, ...
    chat_id         INTEGER,                  -- a staff or subscriber chat
    to_tipster_of   INTEGER REFERENCES tips (id) ON DELETE CASCADE,
    payload         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    dedupe_key      TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,         -- for 'sending': when the claim lapses
    last_error      TEXT,
    sent_message_id INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CHECK ((chat_id IS NULL) <> (to_tipster_of IS NULL))
) STRICT;

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status IN ('pending', 'sending');


-- Bulletins ---------------------------------------------------------------------------------

-- No subscription time on purpose: the offer to subscribe follows a tip, and a timestamp here
-- would let a copy of the database pair a chat with the tip sent a minute before.
CREATE TABLE subscribers (
    id       INTEGER PRIMARY KEY,
    chat_id  INTEGER NOT NULL UNIQUE,
    language TEXT NOT NULL,
    active   INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
) STRICT;

CREATE TABLE subscriber_topics (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    topic         TEXT NOT NULL,
    PRIMARY KEY (subscriber_id, topic)
) STRICT;

CREATE INDEX subscriber_topics_by_topic ON subscriber_topics (topic);

-- One row per bulletin and language; a broadcast names the slug and each subscriber gets the
-- text in their language.
CREATE TABLE bulletins (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL,
    language   TEXT NOT NULL,
    topic      TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('library', 'admin')),
    created_by INTEGER REFERENCES officers (user_id),   -- the admin who wrote it
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (slug, language)
) STRICT;

CREATE INDEX bulletins_by_topic ON bulletins (topic);

CREATE TABLE schedules (
    id         INTEGER PRIMARY KEY,
    cron       TEXT NOT NULL,                -- five fields, in the bot's time zone
    topic      TEXT NOT NULL,
    slug       TEXT,                         -- a fixed bulletin, or NULL: the topic's least recently sent
    paused     INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    created_by INTEGER REFERENCES officers (user_id),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE broadcasts (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL,
    topic       TEXT NOT NULL,               -- whose subscribers receive it
    schedule_id INTEGER REFERENCES schedules (id) ON DELETE SET NULL,
    run_key     TEXT UNIQUE,                 -- one broadcast per schedule slot, even across restarts
    created_by  INTEGER REFERENCES officers (user_id),
    status      TEXT NOT NULL DEFAULT 'sending' CHECK (status IN ('sending', 'done', 'cancelled')),
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
) STRICT;

-- One row per recipient, written with the broadcast: a restart resumes from the 'pending' rows.
-- A row is marked 'sending' before the API call, so one cut short by a crash is not sent twice.
CREATE TABLE deliveries (
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                      ('pending', 'sending', 'sent', 'failed', 'blocked', 'cancelled')),
    message_id    INTEGER,
    PRIMARY KEY (broadcast_id, subscriber_id)
) STRICT;

CREATE INDEX deliveries_pending ON deliveries (broadcast_id) WHERE status = 'pending';


-- Audit -------------------------------------------------------------------------------------

-- Every officer or admin action. Plain values rather than foreign keys: the log must outlive
-- what it mentions. Triggers make it append-only.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL,
    actor_id   INTEGER,                      -- officer / admin user id; NULL: the bot's own jobs
    action     TEXT NOT NULL,                -- "tip.acknowledge", "officer.invite", ...
    tip_id     INTEGER,
    detail     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
) STRICT;

CREATE INDEX audit_log_by_tip ON audit_log (tip_id) WHERE tip_id IS NOT NULL;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- This migration is done: the database is now at version 1.
PRAGMA user_version = 1;

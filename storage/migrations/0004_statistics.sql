-- 0004_statistics: what /stats, /export and retention need to stay fast on a big database.
--
-- Daily totals, kept by triggers
--   A year of /stats over a million tips must answer in well under a second, and a scan of that
--   many tips takes longer than that even on a covering index. So the totals /stats shows are
--   kept per day in small tables, updated by triggers on every insert, update and delete of a tip
--   or a message: whatever code writes the tips (the bot, a script, retention), the totals follow
--   in the same transaction, and they always equal what a GROUP BY over the tips would give.
--   A year is then 365 days × a few keys, summed in milliseconds.
--
--   A "day" here is a local calendar day: day = (unix time + stats_settings.day_offset) / 86400,
--   the offset being the province's UTC offset (Asia/Ho_Chi_Minh, +7 h, unless the bot is
--   configured otherwise; bot start-up rebuilds these tables if the offset changes). A period
--   that does not start or end on such a day boundary counts its partial days from the tips.
--
--   Time to acknowledge is kept as a histogram: tips per (day, urgency, bucket), the bucket being
--   the lower bound in seconds of a one-minute step below an hour, ten minutes below a day, an
--   hour below a week, a day beyond; -1 for tips not acknowledged. storage/stats.py has the same
--   expression (ACK_BUCKET) and computes the percentiles from the histogram.
--
--   Follow-up questions are counted on the day they were asked; a question counts as answered
--   once the tipster answers anything after it on the same tip.

CREATE TABLE stats_settings (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    day_offset INTEGER NOT NULL               -- seconds east of UTC of the days below
) STRICT;

INSERT INTO stats_settings (id, day_offset) VALUES (1, 25200);

CREATE TABLE stats_kinds (
    day      INTEGER NOT NULL,
    category TEXT NOT NULL,
    kind     TEXT NOT NULL,                   -- '' for a tip without a kind
    tips     INTEGER NOT NULL,
    PRIMARY KEY (day, category, kind)
) STRICT, WITHOUT ROWID;

CREATE TABLE stats_communes (
    day          INTEGER NOT NULL,
    commune_code INTEGER NOT NULL,            -- 0: not known, the province queue
    tips         INTEGER NOT NULL,
    PRIMARY KEY (day, commune_code)
) STRICT, WITHOUT ROWID;

CREATE TABLE stats_statuses (
    day    INTEGER NOT NULL,
    status TEXT NOT NULL,
    tips   INTEGER NOT NULL,
    PRIMARY KEY (day, status)
) STRICT, WITHOUT ROWID;

CREATE TABLE stats_ack (
    day    INTEGER NOT NULL,
    urgent INTEGER NOT NULL,
    bucket INTEGER NOT NULL,                  -- seconds, lower bound; -1: not acknowledged
    tips   INTEGER NOT NULL,
    PRIMARY KEY (day, urgent, bucket)
) STRICT, WITHOUT ROWID;

CREATE TABLE stats_questions (
    day      INTEGER PRIMARY KEY,
    asked    INTEGER NOT NULL,
    answered INTEGER NOT NULL
) STRICT, WITHOUT ROWID;


-- Tips: one row more on insert, one less on delete, moved on update -----------------------------

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


-- Follow-up questions ---------------------------------------------------------------------------

CREATE TRIGGER stats_question_insert AFTER INSERT ON tip_messages WHEN NEW.kind = 'question'
BEGIN
    INSERT INTO stats_questions VALUES (
        (NEW.created_at + (SELECT day_offset FROM stats_settings)) / 86400, 1, 0
    ) ON CONFLICT DO UPDATE SET asked = asked + 1;
END;

-- An answer answers the questions asked on its tip since the previous answer.
CREATE TRIGGER stats_answer_insert AFTER INSERT ON tip_messages WHEN NEW.kind = 'answer'
BEGIN
    INSERT INTO stats_questions (day, asked, answered)
    SELECT (q.created_at + (SELECT day_offset FROM stats_settings)) / 86400, 0, count(*)
    FROM tip_messages AS q
    WHERE q.tip_id = NEW.tip_id AND q.kind = 'question' AND q.id < NEW.id
        AND q.id > coalesce((SELECT max(a.id) FROM tip_messages AS a
                             WHERE a.tip_id = NEW.tip_id AND a.kind = 'answer' AND a.id < NEW.id), 0)
    GROUP BY 1
    ON CONFLICT DO UPDATE SET answered = answered + excluded.answered;
END;

-- Deleting (retention deletes whole tips, and their messages with them) in any order: a deleted
-- question was answered if an answer follows it; a deleted last answer un-answers the questions
-- it alone answered.
CREATE TRIGGER stats_question_delete AFTER DELETE ON tip_messages WHEN OLD.kind = 'question'
BEGIN
    UPDATE stats_questions SET asked = asked - 1,
        answered = answered - EXISTS (SELECT 1 FROM tip_messages AS a
                                      WHERE a.tip_id = OLD.tip_id AND a.kind = 'answer'
                                          AND a.id > OLD.id)
    WHERE day = (OLD.created_at + (SELECT day_offset FROM stats_settings)) / 86400;
END;

CREATE TRIGGER stats_answer_delete AFTER DELETE ON tip_messages
WHEN OLD.kind = 'answer' AND NOT EXISTS (SELECT 1 FROM tip_messages AS a
                                         WHERE a.tip_id = OLD.tip_id AND a.kind = 'answer'
                                             AND a.id > OLD.id)
BEGIN
    UPDATE stats_questions SET answered = answered - (
        SELECT count(*) FROM tip_messages AS q
        WHERE q.tip_id = OLD.tip_id AND q.kind = 'question' AND q.id < OLD.id
            AND (q.created_at + (SELECT day_offset FROM stats_settings)) / 86400 = stats_questions.day
            AND q.id > coalesce((SELECT max(a.id) FROM tip_messages AS a
                                 WHERE a.tip_id = OLD.tip_id AND a.kind = 'answer'
                                     AND a.id < OLD.id), 0))
    WHERE day IN (SELECT (q.created_at + (SELECT day_offset FROM stats_settings)) / 86400
                  FROM tip_messages AS q
                  WHERE q.tip_id = OLD.tip_id AND q.kind = 'question' AND q.id < OLD.id);
END;


-- Indexes: the edges of a period and exports (tips by creation), escalations and questions of a
-- period, whole-tip retention (closed tips by closing time) --------------------------------------

CREATE INDEX tips_by_created ON tips (created_at);
CREATE INDEX tips_closed ON tips (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX tip_messages_by_kind ON tip_messages (kind, created_at);
CREATE INDEX audit_log_by_action ON audit_log (action, created_at);


-- The totals of the tips already stored -----------------------------------------------------------

INSERT INTO stats_kinds (day, category, kind, tips)
SELECT (created_at + 25200) / 86400, category, coalesce(kind, ''), count(*) FROM tips
GROUP BY 1, 2, 3;

INSERT INTO stats_communes (day, commune_code, tips)
SELECT (created_at + 25200) / 86400, coalesce(commune_code, 0), count(*) FROM tips GROUP BY 1, 2;

INSERT INTO stats_statuses (day, status, tips)
SELECT (created_at + 25200) / 86400, status, count(*) FROM tips GROUP BY 1, 2;

INSERT INTO stats_ack (day, urgent, bucket, tips)
SELECT (created_at + 25200) / 86400, urgent,
    CASE
        WHEN acknowledged_at IS NULL THEN -1
        WHEN acknowledged_at - created_at < 0 THEN 0
        WHEN acknowledged_at - created_at < 3600 THEN (acknowledged_at - created_at) / 60 * 60
        WHEN acknowledged_at - created_at < 86400 THEN (acknowledged_at - created_at) / 600 * 600
        WHEN acknowledged_at - created_at < 604800
            THEN (acknowledged_at - created_at) / 3600 * 3600
        ELSE (acknowledged_at - created_at) / 86400 * 86400
    END,
    count(*)
FROM tips GROUP BY 1, 2, 3;

INSERT INTO stats_questions (day, asked, answered)
SELECT (q.created_at + 25200) / 86400, count(*),
    sum(EXISTS (SELECT 1 FROM tip_messages AS a
                WHERE a.tip_id = q.tip_id AND a.kind = 'answer' AND a.id > q.id))
FROM tip_messages AS q WHERE q.kind = 'question' GROUP BY 1;

-- This migration is done: the database is now at version 4.
PRAGMA user_version = 4;

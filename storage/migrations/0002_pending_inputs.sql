-- What someone's next message means when a button asked them to type something: an officer's
-- question for a tipster, a note, a reply, a commune to transfer to; a tipster's answer.
-- Keyed by "officer:<user id>" for staff and "tipster:<pseudonym>" for residents, so a
-- resident is still known here only by pseudonym. Kept in SQLite so a restart forgets nothing.
CREATE TABLE pending_inputs (
    key        TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX pending_inputs_by_expiry ON pending_inputs (expires_at);

-- This migration is done: the database is now at version 2.
PRAGMA user_version = 2;

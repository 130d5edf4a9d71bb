-- A private chat (or a channel) was never a commune group: links made through a crafted button
-- before groups alone could be linked are dropped. Group and supergroup ids are negative.
DELETE FROM commune_groups WHERE chat_id > 0;

-- A file the tipster sent as an answer, kept in the tip's thread beside its message (officers
-- get it as a copy; retention deletes it with the tip).
CREATE TABLE tip_message_files (
    message_id     INTEGER PRIMARY KEY REFERENCES tip_messages (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,             -- photo | video | voice | audio | document
    file_id        TEXT NOT NULL,
    file_unique_id TEXT NOT NULL
) STRICT;

-- This migration is done: the database is now at version 6.
PRAGMA user_version = 6;

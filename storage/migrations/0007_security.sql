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

-- Names and reasons shown to admins lose their bidirectional controls (a right-to-left override
-- in a name reorders what an admin reads); new ones are cleaned before they are stored.
UPDATE officers SET name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(name, char(0x202A), ''), char(0x202B), ''), char(0x202C), ''), char(0x202D), ''), char(0x202E), ''), char(0x2066), ''), char(0x2067), ''), char(0x2068), ''), char(0x2069), ''), char(0x200E), ''), char(0x200F), ''), char(0x061C), '') WHERE name IS NOT NULL;
UPDATE commune_groups SET title = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(title, char(0x202A), ''), char(0x202B), ''), char(0x202C), ''), char(0x202D), ''), char(0x202E), ''), char(0x2066), ''), char(0x2067), ''), char(0x2068), ''), char(0x2069), ''), char(0x200E), ''), char(0x200F), ''), char(0x061C), '') WHERE title IS NOT NULL;
UPDATE bans SET reason = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(reason, char(0x202A), ''), char(0x202B), ''), char(0x202C), ''), char(0x202D), ''), char(0x202E), ''), char(0x2066), ''), char(0x2067), ''), char(0x2068), ''), char(0x2069), ''), char(0x200E), ''), char(0x200F), ''), char(0x061C), '');

-- This migration is done: the database is now at version 7.
PRAGMA user_version = 7;

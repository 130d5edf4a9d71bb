-- A private chat (or a channel) was never a commune group: links made through a crafted button
-- before groups alone could be linked are dropped. Group and supergroup ids are negative.
DELETE FROM commune_groups WHERE chat_id > 0;

-- This migration is done: the database is now at version 6.
PRAGMA user_version = 6;

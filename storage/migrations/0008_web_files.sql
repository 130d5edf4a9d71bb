-- 0008_web_files: files that visitors of the web door upload (bot/webdoor/).
--
-- A Telegram upload lives on Telegram's servers and the bot keeps only its file id; a web upload
-- has nowhere else to live. Images are re-encoded without any metadata before they are written
-- here, documents get a neutral name. No time, no visitor: a file is found only through the tip
-- or the message that names its id.

CREATE TABLE web_files (
    file_id   TEXT PRIMARY KEY,             -- "web-" + random, never a Telegram file id
    kind      TEXT NOT NULL,                -- photo | document
    file_name TEXT NOT NULL,                -- neutral: photo.jpg, document.pdf
    data      BLOB NOT NULL
) STRICT;

-- This migration is done: the database is now at version 8.
PRAGMA user_version = 8;

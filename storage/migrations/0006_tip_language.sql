-- The language the tipster chose for the bot (vi or en), kept with the tip so that officers
-- know in which language to ask. It names a language, not a person: every tipster has one of
-- two. NULL for tips sent before this was recorded.
ALTER TABLE tips ADD COLUMN language TEXT CHECK (language IN ('vi', 'en'));

PRAGMA user_version = 6;

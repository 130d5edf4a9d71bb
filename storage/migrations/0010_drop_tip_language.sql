-- The tipster's language leaves the tips table: beside the subscribers' languages (in clear, with
-- their chat ids) it narrowed an English tip down to the few English speakers. It stays only in
-- the sealed way back (bot/anonymity.py), which every tip since 0006 carries; bot/tipster.py
-- reads it from there. A plain DROP COLUMN: the column's CHECK names only itself, which SQLite
-- allows (no other constraint, index, trigger or view refers to it).
ALTER TABLE tips DROP COLUMN language;

PRAGMA user_version = 10;

-- Internet-banking sessions (issue 16, point 8): the row is keyed by the SHA-256 of the cookie's session id, so
-- that a copy of the database opens no session; and a session ends a fixed time after it started (the login),
-- however active, besides the 15 idle minutes. Rows of the old form cannot be found any more and are purged when
-- they expire.
ALTER TABLE sessions ADD COLUMN started_at BIGINT NOT NULL DEFAULT 0;

-- A contract has at most one token in use (the guides' model: 交換 replaces it, 利用停止 stops it, the bank
-- revokes it before a reissue). The database enforces it, so that two racing registrations cannot both win;
-- the server turns a violation into a 409 `has_active_token`. SQLite and PostgreSQL both support partial indexes.
CREATE UNIQUE INDEX tokens_one_active ON tokens (contract_id) WHERE state = 'active';

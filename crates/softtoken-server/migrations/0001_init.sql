-- One schema for SQLite and PostgreSQL: only TEXT and BIGINT columns, booleans as 0/1, ids made by the server.

-- Bank customers (契約者). Passwords are Argon2id PHC strings.
CREATE TABLE customers (
    contract_id             TEXT PRIMARY KEY,
    name                    TEXT NOT NULL,
    password_hash           TEXT NOT NULL,
    transfer_password_hash  TEXT NOT NULL,
    login_otp               BIGINT NOT NULL DEFAULT 1,
    created_at              BIGINT NOT NULL
);

-- Tokens. state: issued (provisioned, not yet registered), active (registered to contract_id),
-- replaced (exchanged for a newer token), stopped (利用停止 by the customer), revoked (by the bank).
-- seed_sealed: ChaCha20-Poly1305 under the server master key, AAD = serial.
CREATE TABLE tokens (
    serial        TEXT PRIMARY KEY,
    contract_id   TEXT NULL REFERENCES customers (contract_id),
    state         TEXT NOT NULL,
    seed_sealed   TEXT NOT NULL,
    algorithm     TEXT NOT NULL,
    digits        BIGINT NOT NULL,
    period        BIGINT NOT NULL,
    last_step     BIGINT NULL,
    drift         BIGINT NOT NULL DEFAULT 0,
    fail_count    BIGINT NOT NULL DEFAULT 0,
    locked        BIGINT NOT NULL DEFAULT 0,
    source        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX tokens_contract ON tokens (contract_id);

-- One-time activation codes the bank gives a customer for online provisioning (reissue).
CREATE TABLE activation_codes (
    code_hash     TEXT PRIMARY KEY,
    contract_id   TEXT NOT NULL REFERENCES customers (contract_id),
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT NULL,
    serial        TEXT NULL
);

-- Append-only: who did what to which token or contract, and how it ended. Never a seed, a code or a password.
CREATE TABLE audit (
    id            TEXT PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    serial        TEXT NULL,
    contract_id   TEXT NULL,
    result        TEXT NOT NULL,
    detail        TEXT NOT NULL
);
CREATE INDEX audit_serial ON audit (serial);
CREATE INDEX audit_contract ON audit (contract_id);

-- Internet-banking sessions (cookie = id). stage: what the customer has proven so far.
CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    contract_id   TEXT NULL,
    csrf          TEXT NOT NULL,
    stage         TEXT NOT NULL,
    data          TEXT NOT NULL,
    lang          TEXT NOT NULL,
    expires_at    BIGINT NOT NULL
);

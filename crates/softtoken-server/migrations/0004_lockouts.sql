-- Failure counts that a restart or a second instance must not start again (issue 16).
--
-- 振込用パスワード (the transfer password, often 4 digits) can be guessed by whoever has phished the login password.
-- Its consecutive failures are counted per contract; at --max-transfer-failures the transfer password is locked
-- until the bank unlocks it (POST /v1/admin/contracts/{contract}/unlock-transfer). Both proofs passing resets it.
ALTER TABLE customers ADD COLUMN transfer_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN transfer_locked BIGINT NOT NULL DEFAULT 0;

-- Wrong login passwords, per contract and client address: after a few, that address waits before its next try,
-- longer after each further one. Per address, so that a third party's guesses cannot keep the customer out; rows
-- only for contracts that exist, so that junk IDs cannot grow the table.
CREATE TABLE login_failures (
    contract_id TEXT NOT NULL,
    client TEXT NOT NULL,
    failures BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL,
    PRIMARY KEY (contract_id, client)
);

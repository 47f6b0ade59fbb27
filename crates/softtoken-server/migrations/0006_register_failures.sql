-- Wrong proofs of a new token at 利用登録 and 交換 (an unknown or taken serial, a wrong code), counted against the
-- contract that types them rather than the token (issue 16, point 10): a customer probing other people's
-- unregistered tokens (e.g. hardware tokens imported by PSKC, waiting for their customer) locks their own
-- registrations, never those tokens. At 10 in a row the contract's registrations and exchanges wait for the bank
-- (POST /v1/admin/contracts/{contract}/unlock-registration).
ALTER TABLE customers ADD COLUMN register_failures BIGINT NOT NULL DEFAULT 0;

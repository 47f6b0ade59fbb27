-- Which stretches of the audit table hold rows of a serial or of a contract. A stretch ("bucket") is the audit
-- ids that begin with the same 8 hex digits: an id begins with its time in µs as 16 hex digits, so a bucket is
-- 2^32 µs, about 72 minutes, and its rows are one range of the primary key. The admin audit query reads a
-- serial's buckets newest first and, in each, that range filtered by the serial (`Db::audit_query`).
--
-- These replace 0001's indexes on audit (serial) and audit (contract_id). Those gave every validation two more
-- scattered pages to write, one per token and one per contract, and on a grown table that was most of the
-- SQLite writer's disk traffic and of its latency tail (BENCHMARKS.md, session 8). A bucket row is written once
-- per serial (or contract) and bucket; the validations after it in the same 72 minutes only look it up.
CREATE TABLE audit_serial_buckets (
    serial        TEXT NOT NULL,
    bucket        TEXT NOT NULL,
    PRIMARY KEY (serial, bucket)
);
CREATE TABLE audit_contract_buckets (
    contract_id   TEXT NOT NULL,
    bucket        TEXT NOT NULL,
    PRIMARY KEY (contract_id, bucket)
);
INSERT INTO audit_serial_buckets (serial, bucket)
    SELECT DISTINCT serial, substr(id, 1, 8) FROM audit WHERE serial IS NOT NULL;
INSERT INTO audit_contract_buckets (contract_id, bucket)
    SELECT DISTINCT contract_id, substr(id, 1, 8) FROM audit WHERE contract_id IS NOT NULL;
DROP INDEX audit_serial;
DROP INDEX audit_contract;

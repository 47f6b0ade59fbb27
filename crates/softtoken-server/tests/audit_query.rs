//! The admin audit query (`Db::audit_query`), on SQLite and PostgreSQL: every combination of filters and paging
//! returns exactly the rows a plain filter over all rows returns, newest first, over rows spread across about
//! a hundred buckets (migration 0003). On SQLite, whose planner has no statistics to go by (the server never
//! runs `ANALYZE`), `EXPLAIN QUERY PLAN` shows that every read is a range of the primary key in id order, with
//! no sort. (PostgreSQL chooses its plan by cost, from statistics of the data at hand.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{databases, fresh_pg_database, TestDb};
use softtoken_server::db::{audit_bucket, audit_sql, AuditFilter, Db};
use softtoken_server::model::AuditRow;
use sqlx::Row;

const ROWS: usize = 3000;
const ACTIONS: [&str; 6] = ["validate", "validate", "validate", "register", "lock", "login"];

/// Rows spread over 30 serials, 20 contracts and 4 actions; some without a serial or a contract, as the rows of
/// a failed IB login or a bank operation on a contract are. One every 2^27 µs (134 s), so 32 to a bucket; the
/// ids as the server makes them: the time in µs, then 64 other bits.
fn row(i: usize) -> AuditRow {
    let micros = 1_800_000_000_000_000 + (u64::try_from(i).unwrap() << 27);
    AuditRow {
        id: format!("{micros:016x}{:016x}", i * 7919),
        at: i64::try_from(micros / 1_000_000).unwrap(),
        actor: "test".into(),
        action: ACTIONS[i % ACTIONS.len()].into(),
        serial: (!i.is_multiple_of(7)).then(|| format!("S{:02}", i % 30)),
        contract_id: (!i.is_multiple_of(11)).then(|| format!("C{:02}", i % 20)),
        result: "ok".into(),
        detail: String::new(),
    }
}

fn matches(r: &AuditRow, f: &AuditFilter<'_>) -> bool {
    let eq = |want: Option<&str>, got: Option<&str>| want.is_none_or(|w| got == Some(w));
    eq(f.serial, r.serial.as_deref())
        && eq(f.contract_id, r.contract_id.as_deref())
        && eq(f.action, Some(r.action.as_str()))
        && f.before.is_none_or(|b| r.id.as_str() < b)
}

/// SQLite's plan of the query for `f`: one line per step.
async fn plan(db: &Db, f: &AuditFilter<'_>, bucket: Option<(&str, Option<&str>)>, limit: i64) -> String {
    let (sql, values) = audit_sql(f, bucket);
    let sql = format!("EXPLAIN QUERY PLAN {sql}");
    let mut q = sqlx::query(&sql);
    for v in values {
        q = q.bind(v);
    }
    let rows = q.bind(limit).fetch_all(db.pool()).await.unwrap();
    rows.iter()
        .map(|r| r.try_get::<String, _>("detail").unwrap())
        .collect::<Vec<_>>()
        .join(" | ")
}

async fn check(db_kind: &TestDb, url: &str) {
    let postgres = matches!(db_kind, TestDb::Postgres(_));
    let db = Db::connect(url).await.unwrap();
    let all: Vec<AuditRow> = (0..ROWS).map(row).collect();
    for r in &all {
        db.audit(r).await.unwrap();
    }
    if postgres {
        // What autovacuum does for a real server's tables; the test would not wait for it.
        sqlx::query("ANALYZE audit").execute(db.pool()).await.unwrap();
    }
    let before = all[ROWS / 2].id.clone();
    let buckets: std::collections::BTreeSet<&str> = all.iter().map(|r| audit_bucket(&r.id)).collect();
    assert!(buckets.len() > 90, "{} buckets", buckets.len());
    let mut filters = Vec::new();
    for serial in [None, Some("S07"), Some("S99")] {
        for contract_id in [None, Some("C03")] {
            for action in [None, Some("lock"), Some("validate")] {
                for before in [None, Some(before.as_str())] {
                    filters.push(AuditFilter {
                        serial,
                        contract_id,
                        action,
                        before,
                    });
                }
            }
        }
    }
    for f in &filters {
        for limit in [1_i64, 10, 5000] {
            let want: Vec<&AuditRow> = all
                .iter()
                .rev()
                .filter(|r| matches(r, f))
                .take(usize::try_from(limit).unwrap())
                .collect();
            let got = db.audit_query(f, limit).await.unwrap();
            let ids = |v: Vec<&AuditRow>| v.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
            assert_eq!(
                ids(got.iter().collect()),
                ids(want),
                "{}: {f:?} limit {limit}",
                db_kind.name()
            );
        }
        if postgres {
            continue;
        }
        // The read of one bucket (the middle one), and the read without a bucket.
        let first = audit_bucket(&before);
        let next = format!("{:08x}", u32::from_str_radix(first, 16).unwrap() + 1);
        for bucket in [Some((first, Some(next.as_str()))), None] {
            let text = plan(&db, f, bucket, 10).await;
            let range = bucket.is_some() || f.before.is_some();
            assert!(
                text.contains(if range {
                    "SEARCH audit USING INDEX sqlite_autoindex_audit_1 (id"
                } else {
                    "SCAN audit USING INDEX sqlite_autoindex_audit_1"
                }) && !text.contains("TEMP B-TREE"),
                "sqlite: {f:?}, bucket {bucket:?}: {text}"
            );
        }
    }
}

#[test]
fn every_filter_and_page_gives_the_newest_matching_rows() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for db in databases() {
        let dir = tempfile::tempdir().unwrap();
        let url = match &db {
            TestDb::Sqlite => format!("sqlite:{}", dir.path().join("audit.db").display()),
            TestDb::Postgres(base) => fresh_pg_database(base),
        };
        rt.block_on(check(&db, &url));
    }
}

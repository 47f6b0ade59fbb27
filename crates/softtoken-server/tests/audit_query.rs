//! The admin audit query (`Db::audit_query`), on SQLite and PostgreSQL: every combination of filters and paging
//! returns exactly the rows a plain filter over all rows returns, newest first. On SQLite, whose planner has no
//! statistics to go by (the server never runs `ANALYZE`), `EXPLAIN QUERY PLAN` shows that a serial or a contract
//! is found through its index rather than by reading the table, and that the rest comes newest first from the
//! primary key without a sort. (PostgreSQL chooses its plan by cost, from statistics of the data at hand.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{databases, fresh_pg_database, TestDb};
use softtoken_server::db::{audit_sql, AuditFilter, AuditRow, Db};
use sqlx::Row;

const ROWS: usize = 3000;
const ACTIONS: [&str; 6] = ["validate", "validate", "validate", "register", "lock", "login"];

/// Rows spread over 30 serials, 20 contracts and 4 actions; some without a serial or a contract, as the rows of
/// a failed IB login or a bank operation on a contract are.
fn row(i: usize) -> AuditRow {
    AuditRow {
        id: format!("{i:032x}"),
        at: 1_800_000_000 + i64::try_from(i).unwrap(),
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

/// The index that finds the rows, as `audit_sql` documents: the serial's, else the contract's, else none.
fn leading_index(f: &AuditFilter<'_>) -> Option<&'static str> {
    if f.serial.is_some() {
        Some("audit_serial")
    } else if f.contract_id.is_some() {
        Some("audit_contract")
    } else {
        None
    }
}

/// SQLite's plan of the query for `f`: one line per step.
async fn plan(db: &Db, f: &AuditFilter<'_>, limit: i64) -> String {
    let (sql, values) = audit_sql(f);
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
    let before = format!("{:032x}", ROWS / 2);
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
        let text = plan(&db, f, 10).await;
        match leading_index(f) {
            Some(index) => assert!(
                text.contains(&format!("SEARCH audit USING INDEX {index} (")),
                "sqlite: {f:?} should search {index}: {text}"
            ),
            None => assert!(
                text.contains("USING INDEX sqlite_autoindex_audit_1") && !text.contains("TEMP B-TREE"),
                "sqlite: {f:?} should read the primary key newest first: {text}"
            ),
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

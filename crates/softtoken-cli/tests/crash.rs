//! Crash trials (issue 17): `softtoken add` and `softtoken remove` killed with SIGKILL at random moments, on the
//! vault file store and on the keychain store (its index file and the real Secret Service that `./x test` runs).
//! After every kill the store opens, every token whose command succeeded is there, and nothing is there that no
//! command tried to add. On the keychain store, a seed left in the keychain by a killed command is gone after the
//! store's next write. The counts are printed (`cargo test -- --nocapture`).
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::Rng;
use softtoken_core::store::keychain::{OsKeychain, SecretBackend, KEYCHAIN_SERVICE};

/// Kills of each command on each store.
const RUNS: usize = 100;
const PASSPHRASE: &str = "a crash-trial passphrase";

fn command(home: &Path, store: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_softtoken"));
    cmd.arg("--store")
        .arg(store)
        .args(args)
        .env("SOFTTOKEN_HOME", home)
        .env("SOFTTOKEN_PASSPHRASE", PASSPHRASE)
        .env_remove("SOFTTOKEN_STORE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// The issuers of the tokens in the store; the store must open.
fn listed(home: &Path, store: &str) -> BTreeSet<String> {
    let out = command(home, store, &["list", "--json"])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the store does not open after a kill: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| t["issuer"].as_str().unwrap().to_string())
        .collect()
}

/// A base32 secret of its own for run `i` (160 bits).
fn secret(i: usize) -> String {
    const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let tail: String = [i / 1024, (i / 32) % 32, i % 32]
        .iter()
        .map(|&d| B32[d % 32] as char)
        .collect();
    format!("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQ{tail}")
}

/// The ids the keychain store's index names as pending (seeds that may be in the keychain without a token).
fn pending(home: &Path) -> Vec<String> {
    let Ok(bytes) = std::fs::read(home.join("tokens.json")) else {
        return Vec::new();
    };
    let index: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    index["pending"]
        .as_array()
        .map(|p| p.iter().map(|id| id.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

#[derive(Debug, Default)]
struct Counts {
    adds_done: usize,
    adds_killed: usize,
    removes_done: usize,
    removes_killed: usize,
}

/// Runs at least `RUNS` adds and `RUNS` removes (an add when nothing is left to remove), each killed at a random
/// moment within 1.5 times the time the command takes when left alone. Returns the counts and every id that was
/// ever pending.
fn trial(home: &Path, store: &str) -> (Counts, BTreeSet<String>) {
    let mut rng = rand::rng();
    // How long one add takes here, left alone (the vault's Argon2 dominates it; the keychain's D-Bus calls).
    let started = Instant::now();
    let out = command(
        home,
        store,
        &["add", "--secret", &secret(9999), "--issuer", "Calibration"],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let span = started.elapsed().mul_f64(1.5);
    let mut present: BTreeSet<String> = ["Calibration".to_string()].into();
    let mut counts = Counts::default();
    let mut ever_pending = BTreeSet::new();
    let mut next = 0;
    let mut run = 0;
    while counts.adds_done + counts.adds_killed < RUNS || counts.removes_done + counts.removes_killed < RUNS {
        run += 1;
        let removable: Vec<&String> = present.iter().filter(|n| *n != "Calibration").collect();
        let adds = counts.adds_done + counts.adds_killed;
        let add = removable.is_empty() || (adds < RUNS && run % 2 == 1);
        let (name, mut cmd) = if add {
            next += 1;
            let name = format!("T{next:03}");
            let cmd = command(
                home,
                store,
                &["add", "--secret", &secret(next), "--issuer", &name],
            );
            (name, cmd)
        } else {
            let name = removable[rng.random_range(0..removable.len())].clone();
            let cmd = command(home, store, &["remove", &name, "--yes"]);
            (name, cmd)
        };
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(Duration::from_micros(
            rng.random_range(0..=u64::try_from(span.as_micros()).unwrap()),
        ));
        let _ = child.kill(); // SIGKILL; an error means it had already exited
        let status = child.wait().unwrap();
        if status.code().is_some_and(|c| c != 0) {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("run {run}: {name} failed without being killed: {err}");
        }
        let done = status.success();
        match (add, done) {
            (true, true) => counts.adds_done += 1,
            (true, false) => counts.adds_killed += 1,
            (false, true) => counts.removes_done += 1,
            (false, false) => counts.removes_killed += 1,
        }
        let now = listed(home, store);
        // A finished add's token is there, a finished remove's is not; a killed command's may be either way.
        let mut expected = present.clone();
        match (add, done) {
            (true, true) => {
                expected.insert(name.clone());
            }
            (false, true) => {
                expected.remove(&name);
            }
            _ => {}
        }
        let missing: Vec<_> = expected
            .difference(&now)
            .filter(|n| done || **n != name)
            .collect();
        assert!(
            missing.is_empty(),
            "run {run}: tokens whose command succeeded are gone: {missing:?}"
        );
        let unknown: Vec<_> = now
            .iter()
            .filter(|n| !expected.contains(*n) && (done || **n != name))
            .collect();
        assert!(
            unknown.is_empty(),
            "run {run}: tokens nobody added, or removed ones back: {unknown:?}"
        );
        present = now;
        ever_pending.extend(pending(home));
    }
    (counts, ever_pending)
}

#[test]
fn killed_adds_and_removes_on_the_vault_lose_nothing() {
    let h = tempfile::tempdir().unwrap();
    let store = format!("file:{}", h.path().join("vault.stv").display());
    let (counts, _) = trial(h.path(), &store);
    println!(
        "vault file store, at least {RUNS} adds and {RUNS} removes killed at random moments: {counts:?}"
    );
    assert!(counts.adds_done + counts.adds_killed >= RUNS, "{counts:?}");
    assert!(counts.removes_done + counts.removes_killed >= RUNS, "{counts:?}");
}

#[test]
fn killed_adds_and_removes_on_the_keychain_lose_nothing_and_leave_no_seed() {
    let h = tempfile::tempdir().unwrap();
    let keychain = match OsKeychain::new(KEYCHAIN_SERVICE).and_then(|k| k.probe().map(|()| k)) {
        Ok(k) => k,
        Err(e) => {
            assert!(
                std::env::var("SOFTTOKEN_REQUIRE_KEYCHAIN").as_deref() != Ok("1"),
                "SOFTTOKEN_REQUIRE_KEYCHAIN=1 but the keychain is unavailable: {e}"
            );
            println!("skipped: no Secret Service here (run the suite with ./x test)");
            return;
        }
    };
    let (counts, ever_pending) = trial(h.path(), "keychain");
    // One more write deletes what killed commands left in the keychain.
    let out = command(
        h.path(),
        "keychain",
        &["add", "--secret", &secret(9998), "--issuer", "Last"],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(pending(h.path()).is_empty(), "ids still pending after a write");
    let index = std::fs::read_to_string(h.path().join("tokens.json")).unwrap();
    let left: Vec<_> = ever_pending
        .iter()
        .filter(|id| !index.contains(id.as_str()))
        .filter(|id| keychain.get(id).unwrap().is_some())
        .collect();
    println!(
        "keychain store, at least {RUNS} adds and {RUNS} removes killed at random moments: {counts:?}; {} ids were left \
         pending by a kill, {} seeds of them remain after the next write",
        ever_pending.len(),
        left.len()
    );
    assert!(
        left.is_empty(),
        "seeds no token names stayed in the keychain: {left:?}"
    );
    assert!(counts.adds_done + counts.adds_killed >= RUNS, "{counts:?}");
    assert!(counts.removes_done + counts.removes_killed >= RUNS, "{counts:?}");
}

//! The server's files are its own user's (issue 16, point 12): the SQLite database and its WAL are 0600 whatever
//! the umask, and the server refuses to start, saying how to fix it, when the master key or a token file can be
//! read by group or others.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{data_path, server_bin, Phone, Server, TestDb};

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// The server binary on `data`, on a free loopback port, with the master key from its file.
fn server_on(data: &std::path::Path) -> Command {
    let mut cmd = Command::new(server_bin());
    cmd.arg("--data")
        .arg(data)
        .args(["--listen", "127.0.0.1:0"])
        .env("SOFTTOKEN_LOG", "warn")
        .env_remove("SOFTTOKEN_MASTER_KEY");
    cmd
}

/// Runs the server on `data` and returns its exit status and standard error, or panics if it is still running
/// after 30 s (it started instead of refusing).
fn start_refused(data: &std::path::Path) -> (bool, String) {
    let mut child = server_on(data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            return (status.success(), err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started with a readable secret file");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn database_files_are_private_and_readable_secrets_stop_the_start() {
    let server = Server::start(&TestDb::Sqlite);
    // Some writes, so that the WAL exists.
    Phone::new().provision(&server);
    let data = data_path(&server).to_path_buf();
    for name in [
        "softtoken.db",
        "softtoken.db-wal",
        "master.key",
        "api-token",
        "admin-token",
    ] {
        let p = data.join(name);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{name}");
        } else {
            assert!(name.ends_with("-wal"), "{name} missing");
        }
    }
    drop(server);

    // A fresh data folder made by the umask, with a readable secret: refused, with the fix in the message.
    for name in ["master.key", "api-token", "admin-token"] {
        let dir = tempfile::tempdir().unwrap();
        let (ok, _) = start_refused_or_started(dir.path());
        assert!(ok, "a first start makes the files");
        std::fs::set_permissions(dir.path().join(name), std::fs::Permissions::from_mode(0o644)).unwrap();
        let (ok, err) = start_refused(dir.path());
        assert!(!ok, "{name} readable by others: the server started");
        assert!(
            err.contains(&format!("chmod 600 {}", dir.path().join(name).display())),
            "{err}"
        );
        std::fs::set_permissions(dir.path().join(name), std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(
            start_refused_or_started(dir.path()).0,
            "after chmod 600 it starts"
        );
    }
}

/// Starts the server on `data` until it listens (then stops it): `(true, "")`; or its refusal.
fn start_refused_or_started(data: &std::path::Path) -> (bool, String) {
    let mut child = server_on(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let started = line.contains("http://");
    let _ = child.kill();
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    (started || status.success(), err)
}

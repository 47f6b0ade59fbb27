//! The `softtoken` binary, run as a tester or a script runs it: every documented form, exit codes, messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"

struct Run {
    out: String,
    err: String,
    status: i32,
}

fn softtoken(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_softtoken"));
    cmd.args(args)
        .env("SOFTTOKEN_HOME", home)
        .env_remove("SOFTTOKEN_STORE")
        .env_remove("SOFTTOKEN_PASSPHRASE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let Output {
        stdout,
        stderr,
        status,
    } = cmd.stdin(Stdio::null()).output().unwrap();
    Run {
        out: String::from_utf8(stdout).unwrap(),
        err: String::from_utf8(stderr).unwrap(),
        status: status.code().unwrap_or(-1),
    }
}

fn ok(home: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let r = softtoken(home, args, env);
    assert_eq!(r.status, 0, "softtoken {args:?} failed: {}", r.err);
    assert!(r.err.is_empty(), "stderr not empty: {}", r.err);
    r.out
}

fn fails(home: &Path, args: &[&str], env: &[(&str, &str)], status: i32, code: &str) -> Run {
    let r = softtoken(home, args, env);
    assert_eq!(r.status, status, "softtoken {args:?}: {} / {}", r.out, r.err);
    assert!(
        r.err.contains(code),
        "softtoken {args:?}: expected [{code}] in: {}",
        r.err
    );
    assert_eq!(
        r.err.trim_end().lines().count(),
        1,
        "one-line message expected: {}",
        r.err
    );
    assert!(!r.err.contains("panicked"), "{}", r.err);
    r
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn code_from_secret_matches_rfc6238() {
    let h = tmp();
    for (alg, secret, expected) in [
        ("SHA1", RFC_SECRET, "94287082"),
        (
            "SHA256",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA",
            "46119246",
        ),
    ] {
        let out = ok(
            h.path(),
            &[
                "code",
                "--secret",
                secret,
                "--algorithm",
                alg,
                "--digits",
                "8",
                "--at",
                "59",
            ],
            &[],
        );
        assert_eq!(out, format!("{expected}\n"));
    }
    let out = ok(
        h.path(),
        &["code", "--secret", RFC_SECRET, "--period", "60", "--at", "59"],
        &[],
    );
    assert_eq!(out.trim().len(), 6);
}

#[test]
fn count_prints_successive_steps() {
    let h = tmp();
    let out = ok(
        h.path(),
        &["code", "--secret", RFC_SECRET, "--at", "0", "--count", "3"],
        &[],
    );
    // RFC 4226 Appendix D counters 0, 1, 2 are TOTP steps 0, 1, 2 with the same seed.
    assert_eq!(out, "755224\n287082\n359152\n");
}

#[test]
fn code_from_uri_and_json() {
    let h = tmp();
    let uri = format!("otpauth://totp/Shinkin%20Bank:taro?secret={RFC_SECRET}&serial=SKTN12345671");
    assert_eq!(
        ok(h.path(), &["code", "--uri", &uri, "--at", "59"], &[]),
        "287082\n"
    );
    let j: serde_json::Value = serde_json::from_str(&ok(
        h.path(),
        &["code", "--uri", &uri, "--at", "59", "--count", "2", "--json"],
        &[],
    ))
    .unwrap();
    assert_eq!(j["codes"][0]["code"], "287082");
    assert_eq!(j["codes"][0]["seconds_left"], 1);
    assert_eq!(j["codes"][1]["code"], "359152");
    assert_eq!(j["serial"], "SKTN 1234 5671");
    assert!(
        !j.to_string().contains(RFC_SECRET),
        "the secret must not be echoed"
    );
}

#[test]
fn usage_errors_exit_2() {
    let h = tmp();
    fails(h.path(), &["code"], &[], 2, "usage");
    fails(
        h.path(),
        &["code", "--secret", RFC_SECRET, "--count", "0"],
        &[],
        2,
        "--count",
    );
    fails(h.path(), &["--store", "floppy", "list"], &[], 2, "--store");
    let r = softtoken(h.path(), &["frobnicate"], &[]);
    assert_eq!(r.status, 2);
    let r = softtoken(
        h.path(),
        &[
            "code",
            "--secret",
            RFC_SECRET,
            "--uri",
            "otpauth://totp/x?secret=A",
        ],
        &[],
    );
    assert_eq!(r.status, 2, "conflicting arguments are a usage error");
}

/// `provision --server` is checked before anything is opened or sent: no credentials, query or fragment in the
/// URL (they would end up in logs and error messages), and plain http only to this machine unless asked for.
#[test]
fn provision_refuses_unsafe_server_urls_before_touching_the_store() {
    let h = tmp();
    let vault = h.path().join("v.vault");
    let store = format!("file:{}", vault.display());
    for url in [
        "http://user:secret@127.0.0.1:8787",
        "http://127.0.0.1:8787/?x=1",
        "http://127.0.0.1:8787/#frag",
        "ftp://127.0.0.1/",
        "not a url",
    ] {
        let r = fails(
            h.path(),
            &["--store", &store, "provision", "--server", url],
            &[("SOFTTOKEN_PASSPHRASE", "a passphrase")],
            2,
            "--server",
        );
        assert!(!r.err.contains("secret"), "the password is not echoed: {}", r.err);
    }
    let r = fails(
        h.path(),
        &[
            "--store",
            &store,
            "provision",
            "--server",
            "http://192.0.2.10:8787",
        ],
        &[("SOFTTOKEN_PASSPHRASE", "a passphrase")],
        2,
        "--allow-http",
    );
    assert!(r.err.contains("https://"), "{}", r.err);
    assert!(!vault.exists(), "no store was created for a refused URL");
    // A loopback URL passes (so does --allow-http), and the service is tried: nothing listens on port 9.
    let r = softtoken(
        h.path(),
        &[
            "--store",
            &store,
            "provision",
            "--server",
            "http://127.0.0.1:9",
            "--allow-http",
        ],
        &[("SOFTTOKEN_PASSPHRASE", "a passphrase")],
    );
    assert_eq!(r.status, 1, "{}", r.err);
    assert!(r.err.contains("cannot reach the token service"), "{}", r.err);
}

/// A store file larger than softtoken ever writes is refused by its size, before it is read (issue 17).
#[test]
fn an_oversized_vault_is_refused_unread() {
    let h = tmp();
    let vault = h.path().join("big.vault");
    std::fs::File::create(&vault)
        .unwrap()
        .set_len(softtoken_core::store::atomic::MAX_VAULT_BYTES + 1)
        .unwrap();
    let spec = format!("file:{}", vault.display());
    let r = fails(
        h.path(),
        &["--store", &spec, "list"],
        &[("SOFTTOKEN_PASSPHRASE", "a passphrase")],
        1,
        "file_too_large",
    );
    assert!(r.err.contains("is not read"), "{}", r.err);
}

/// A token service that answers one request with `answer` (status line, headers and body), on a free port.
fn one_answer(answer: Vec<u8>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(&answer);
        }
    });
    url
}

/// A service may answer anything (an altered activation link names it): an answer over 64 KiB is refused before
/// it is parsed, whether its length is announced or not, and a redirect is not followed.
#[test]
fn provisioning_reads_at_most_64_kib_and_follows_no_redirect() {
    let h = tmp();
    let store = format!("file:{}", h.path().join("v.vault").display());
    let big = vec![b'7'; 200_000];
    let mut announced =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200000\r\n\r\n".to_vec();
    announced.extend_from_slice(&big);
    let mut unannounced =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".to_vec();
    unannounced.extend_from_slice(&big);
    for answer in [announced, unannounced] {
        let url = one_answer(answer);
        let r = softtoken(
            h.path(),
            &["--store", &store, "provision", "--server", &url],
            &[("SOFTTOKEN_PASSPHRASE", "a passphrase")],
        );
        assert_eq!(r.status, 1, "{}", r.err);
        assert!(r.err.contains("longer than 65536 bytes"), "{}", r.err);
    }
    let url = one_answer(
        b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:9/v1/provision\r\nContent-Length: 0\r\n\r\n"
            .to_vec(),
    );
    let r = softtoken(
        h.path(),
        &["--store", &store, "provision", "--server", &url],
        &[("SOFTTOKEN_PASSPHRASE", "a passphrase")],
    );
    assert_eq!(r.status, 1, "{}", r.err);
    assert!(
        r.err.contains("307"),
        "the redirect is reported, not followed: {}",
        r.err
    );
}

#[test]
fn bad_input_exits_1_with_a_typed_one_line_message() {
    let h = tmp();
    let cases: &[(&[&str], &str)] = &[
        (&["code", "--secret", "JBSWY3DP!HPK3PXP"], "bad_base32"),
        (&["code", "--secret", "JBSWY3DP"], "secret_too_short"),
        (&["code", "--secret", RFC_SECRET, "--digits", "9"], "bad_digits"),
        (&["code", "--secret", RFC_SECRET, "--period", "0"], "bad_period"),
        (&["code", "--secret", RFC_SECRET, "--at", "-5"], "bad_time"),
        (&["code", "--uri", "https://example.jp/"], "bad_uri"),
        (
            &[
                "code",
                "--uri",
                "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
            ],
            "bad_algorithm",
        ),
        (&["serial", "check", "SKTN 1234 5672"], "serial_check_digit"),
        (&["serial", "check", "SKTN 1234"], "bad_serial"),
    ];
    for (args, code) in cases {
        let r = fails(h.path(), args, &[], 1, code);
        assert!(!r.err.contains("JBSWY3DP"), "secret echoed: {}", r.err);
    }
}

#[test]
fn serial_check_forms() {
    let h = tmp();
    assert_eq!(
        ok(
            h.path(),
            &["serial", "check", "ｓｋｔｎ－１２３４－５６７１"],
            &[]
        ),
        "valid: SKTN12345671\nSKTN 1234 5671\n"
    );
    let r = softtoken(h.path(), &["serial", "check", "SKTN12345617", "--json"], &[]);
    assert_eq!(r.status, 1);
    let j: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(j["valid"], false);
    assert_eq!(j["reason"], "serial_check_digit");
}

#[test]
fn qr_encode_decode_png_and_svg() {
    let h = tmp();
    let png = h.path().join("q.png");
    let text = "otpauth://totp/しんきん:taro?secret=JBSWY3DPEHPK3PXP";
    ok(
        h.path(),
        &["qr", "encode", text, "--out", png.to_str().unwrap()],
        &[],
    );
    assert_eq!(
        ok(h.path(), &["qr", "decode", png.to_str().unwrap()], &[]),
        format!("{text}\n")
    );
    let svg = h.path().join("q.svg");
    ok(
        h.path(),
        &["qr", "encode", text, "--out", svg.to_str().unwrap()],
        &[],
    );
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    fails(
        h.path(),
        &["qr", "encode", "x", "--out", "q.gif"],
        &[],
        2,
        ".png or .svg",
    );
    let not_image = h.path().join("n.png");
    std::fs::write(&not_image, "not an image").unwrap();
    fails(
        h.path(),
        &["qr", "decode", not_image.to_str().unwrap()],
        &[],
        1,
        "bad_image",
    );
    // A device without end is read only up to the decoder's limit, then refused like any file over it.
    fails(
        h.path(),
        &["qr", "decode", "/dev/zero"],
        &[],
        1,
        "the largest image file read",
    );
    fails(
        h.path(),
        &["qr", "decode", "/nonexistent.png"],
        &[],
        1,
        "cannot read",
    );
}

/// The store life cycle, run against a store spec.
fn store_life_cycle(home: &Path, store: &str, env: &[(&str, &str)]) {
    let s = |args: &[&str]| -> Vec<String> {
        let mut v = vec!["--store".to_string(), store.to_string()];
        v.extend(args.iter().map(|a| a.to_string()));
        v
    };
    let run = |args: &[&str]| {
        let a = s(args);
        ok(home, &a.iter().map(String::as_str).collect::<Vec<_>>(), env)
    };
    let run_fail = |args: &[&str], status: i32, code: &str| {
        let a = s(args);
        fails(
            home,
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
            env,
            status,
            code,
        )
    };

    let added = run(&[
        "add",
        &format!("otpauth://totp/Shinkin%20Bank:taro?secret={RFC_SECRET}&serial=SKTN12345671"),
    ]);
    assert_eq!(added, "added Shinkin Bank:taro\nserial SKTN 1234 5671\n");
    run(&[
        "add",
        "--secret",
        "JBSWY3DPEHPK3PXP",
        "--issuer",
        "Demo",
        "--serial",
        "SKTN 0000 0013",
        "--digits",
        "8",
    ]);
    run_fail(
        &[
            "add",
            &format!("otpauth://totp/X:y?secret={RFC_SECRET}&serial=SKTN12345671"),
        ],
        1,
        "duplicate_token",
    );
    run_fail(
        &[
            "add",
            "--secret",
            "JBSWY3DPEHPK3PXP",
            "--issuer",
            "Typo",
            "--serial",
            "SKTN 0000 0011",
        ],
        1,
        "serial_check_digit",
    );

    let list: serde_json::Value = serde_json::from_str(&run(&["list", "--json"])).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["serial"], "SKTN12345671");
    assert_eq!(list[1]["digits"], 8);
    assert!(
        !serde_json::to_string(list).unwrap().contains("JBSWY3DP"),
        "list must not reveal seeds"
    );
    let table = run(&["list"]);
    assert!(
        table.contains("SKTN 1234 5671") && table.contains("Shinkin Bank:taro"),
        "{table}"
    );

    // By serial in any typed form, by name, by issuer.
    assert_eq!(run(&["code", "sktn-1234-5671", "--at", "59"]), "287082\n");
    assert_eq!(run(&["code", "Shinkin Bank:taro", "--at", "59"]), "287082\n");
    assert_eq!(
        run(&["code", "ｓｋｔｎ１２３４５６７１", "--at", "59"]),
        "287082\n"
    );
    let j: serde_json::Value = serde_json::from_str(&run(&["code", "Demo", "--at", "59", "--json"])).unwrap();
    assert_eq!(j["codes"][0]["code"].as_str().unwrap().len(), 8);
    assert_eq!(j["name"], "Demo");
    assert_eq!(run(&["serial", "taro"]), "SKTN 1234 5671\n");
    run_fail(&["code", "nobody"], 1, "token_not_found");

    // Delete asks first; without a terminal it refuses unless --yes.
    run_fail(&["remove", "taro"], 2, "--yes");
    assert_eq!(
        run(&["list", "--json"]).matches("\"id\"").count(),
        2,
        "nothing deleted"
    );
    assert_eq!(
        run(&["remove", "taro", "--yes"]),
        "removed Shinkin Bank:taro (serial SKTN 1234 5671)\n"
    );
    run_fail(&["code", "taro"], 1, "token_not_found");
    let list: serde_json::Value = serde_json::from_str(&run(&["list", "--json"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[test]
fn file_store_life_cycle_and_passphrase() {
    let h = tmp();
    let vault: PathBuf = h.path().join("vault.stv");
    let spec = format!("file:{}", vault.display());
    let env = [("SOFTTOKEN_PASSPHRASE", "correct horse")];
    store_life_cycle(h.path(), &spec, &env);
    let bytes = std::fs::read(&vault).unwrap();
    assert!(bytes.starts_with(b"SOFTTOKV"));
    assert!(!String::from_utf8_lossy(&bytes).contains("JBSWY3DP"));
    // Wrong or missing passphrase: typed error, vault untouched.
    fails(
        h.path(),
        &["--store", &spec, "list"],
        &[("SOFTTOKEN_PASSPHRASE", "wrong")],
        1,
        "wrong_passphrase",
    );
    fails(
        h.path(),
        &["--store", &spec, "list"],
        &[],
        1,
        "passphrase_required",
    );
    assert_eq!(std::fs::read(&vault).unwrap(), bytes);
    // A corrupt vault is reported, not overwritten.
    std::fs::write(&vault, &bytes[..20]).unwrap();
    fails(
        h.path(),
        &["--store", &spec, "add", "--secret", RFC_SECRET, "--issuer", "X"],
        &env,
        1,
        "vault_corrupt",
    );
    assert_eq!(std::fs::read(&vault).unwrap(), &bytes[..20]);
}

#[test]
fn memory_store_starts_empty() {
    let h = tmp();
    assert!(ok(h.path(), &["--store", "memory", "list"], &[]).contains("no tokens"));
    assert_eq!(
        ok(h.path(), &["--store", "memory", "list", "--json"], &[]).trim(),
        "[]"
    );
    let out = ok(
        h.path(),
        &[
            "--store", "memory", "add", "--secret", RFC_SECRET, "--issuer", "Mem", "--json",
        ],
        &[],
    );
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["issuer"], "Mem");
}

#[test]
fn hotp_counter_advances_and_persists() {
    let h = tmp();
    let spec = format!("file:{}", h.path().join("v").display());
    let env = [("SOFTTOKEN_PASSPHRASE", "a passphrase")];
    ok(
        h.path(),
        &[
            "--store",
            &spec,
            "add",
            "--secret",
            RFC_SECRET,
            "--issuer",
            "H",
            "--counter",
            "0",
        ],
        &env,
    );
    assert_eq!(ok(h.path(), &["--store", &spec, "code", "H"], &env), "755224\n");
    assert_eq!(
        ok(h.path(), &["--store", &spec, "code", "H", "--count", "2"], &env),
        "287082\n359152\n"
    );
    assert_eq!(ok(h.path(), &["--store", &spec, "code", "H"], &env), "969429\n");
}

#[test]
fn watch_prints_code_and_countdown_then_stops() {
    let h = tmp();
    let out = ok(
        h.path(),
        &[
            "watch",
            "--secret",
            RFC_SECRET,
            "--issuer",
            "デモ",
            "--duration",
            "1",
        ],
        &[],
    );
    let line = out.lines().next().unwrap();
    assert!(line.starts_with("デモ  "), "{line}");
    assert!(line.ends_with('s'), "{line}");
    let code: String = line["デモ  ".len()..].chars().take(7).collect();
    assert!(
        code.len() == 7 && code.as_bytes()[3] == b' ',
        "grouped code expected: {line}"
    );
}

/// The keychain store against the real Secret Service the test command starts (gnome-keyring in a private
/// D-Bus session). Skipped, loudly, when run outside it unless SOFTTOKEN_REQUIRE_KEYCHAIN=1.
#[test]
fn keychain_store_life_cycle() {
    let h = tmp();
    let probe = softtoken(h.path(), &["--store", "keychain", "list"], &[]);
    if probe.status != 0 {
        assert!(probe.err.contains("keychain_unavailable"), "{}", probe.err);
        if std::env::var("SOFTTOKEN_REQUIRE_KEYCHAIN").as_deref() == Ok("1") {
            panic!(
                "SOFTTOKEN_REQUIRE_KEYCHAIN=1 but the keychain is unavailable: {}",
                probe.err
            );
        }
        println!("skipped: no Secret Service here (run the suite with ./x test)");
        return;
    }
    store_life_cycle(h.path(), "keychain", &[]);
    let index = std::fs::read_to_string(h.path().join("tokens.json")).unwrap();
    assert!(
        !index.contains("JBSWY3DP") && !index.contains(RFC_SECRET),
        "seeds must not be in the index"
    );
    ok(h.path(), &["--store", "keychain", "remove", "Demo", "--yes"], &[]);
}

/// A name from a QR code, or a query the user typed, may hold control characters: what the CLI prints shows them
/// escaped, so an escape sequence cannot clear or rewrite the terminal. JSON keeps the exact text.
#[test]
fn control_characters_are_printed_escaped() {
    let h = tmp();
    let spec = format!("file:{}", h.path().join("vault.stv").display());
    let env = [("SOFTTOKEN_PASSPHRASE", "a passphrase")];
    let uri = format!(
        "otpauth://totp/Evil%1B%5B2J:taro%0Dx?secret={RFC_SECRET}&issuer=Evil%1B%5B2J&serial=S%1B%5B2J"
    );
    let added = ok(h.path(), &["--store", &spec, "add", &uri], &env);
    let list = ok(h.path(), &["--store", &spec, "list"], &env);
    // A serial is text from the QR code too (a foreign token's, not ours): printed escaped as well.
    let serial = ok(h.path(), &["--store", &spec, "serial", "S\x1b[2J"], &env);
    for printed in [&added, &list, &serial] {
        assert!(
            !printed.contains(['\x1b', '\r']),
            "raw control characters printed: {printed:?}"
        );
    }
    for printed in [&added, &list] {
        assert!(
            !printed.contains(['\x1b', '\r']),
            "raw control characters printed: {printed:?}"
        );
        assert!(printed.contains("Evil\\u{1b}[2J:taro\\u{d}x"), "{printed:?}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&ok(h.path(), &["--store", &spec, "list", "--json"], &env)).unwrap();
    assert_eq!(json[0]["issuer"], "Evil\x1b[2J", "{json}");

    let r = fails(
        h.path(),
        &["--store", &spec, "code", "no\x1b[2Jsuch"],
        &env,
        1,
        "token_not_found",
    );
    assert!(!r.err.contains('\x1b'), "{:?}", r.err);
    assert!(r.err.contains("no\\u{1b}[2Jsuch"), "{:?}", r.err);
    assert!(r.err.contains("see `softtoken list`"), "{:?}", r.err);
}

/// Runs softtoken with `input` on its standard input.
fn with_stdin(home: &Path, args: &[&str], env: &[(&str, &str)], input: &str) -> Run {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_softtoken"));
    cmd.args(args)
        .env("SOFTTOKEN_HOME", home)
        .env_remove("SOFTTOKEN_STORE")
        .env_remove("SOFTTOKEN_PASSPHRASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // A command that refuses before it reads its input (a short passphrase) may have exited already.
    if let Err(e) = child.stdin.take().unwrap().write_all(input.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let Output {
        stdout,
        stderr,
        status,
    } = child.wait_with_output().unwrap();
    Run {
        out: String::from_utf8(stdout).unwrap(),
        err: String::from_utf8(stderr).unwrap(),
        status: status.code().unwrap_or(-1),
    }
}

/// Secrets need not be arguments (issue 16, point 13): `-` reads them from standard input, out of `ps` and the
/// shell's history (or from SOFTTOKEN_SECRET); a new vault needs a passphrase of 8 characters at least, as in the
/// app.
#[test]
fn secrets_from_standard_input_and_a_real_passphrase() {
    let h = tmp();
    let at = ["--at", "59"];
    let r = with_stdin(
        h.path(),
        &["code", "--secret", "-", at[0], at[1], "--digits", "8"],
        &[],
        &format!("{RFC_SECRET}\n"),
    );
    assert_eq!((r.status, r.out.as_str()), (0, "94287082\n"), "{}", r.err);
    let uri = format!("otpauth://totp/RFC:x?secret={RFC_SECRET}&digits=8");
    let r = with_stdin(h.path(), &["code", "--uri", "-", at[0], at[1]], &[], &uri);
    assert_eq!((r.status, r.out.as_str()), (0, "94287082\n"), "{}", r.err);
    let r = with_stdin(h.path(), &["code", "--secret", "-"], &[], "");
    assert_eq!(r.status, 2, "{}", r.err);
    assert!(r.err.contains("standard input gave nothing"), "{}", r.err);
    // Or in the environment, which `--help` names without showing its value.
    let r = with_stdin(
        h.path(),
        &["code", at[0], at[1], "--digits", "8"],
        &[("SOFTTOKEN_SECRET", RFC_SECRET)],
        "",
    );
    assert_eq!((r.status, r.out.as_str()), (0, "94287082\n"), "{}", r.err);
    let r = with_stdin(
        h.path(),
        &["code", "--help"],
        &[("SOFTTOKEN_SECRET", RFC_SECRET)],
        "",
    );
    assert!(r.out.contains("SOFTTOKEN_SECRET"), "{}", r.out);
    assert!(!r.out.contains(RFC_SECRET), "--help shows the secret: {}", r.out);

    let spec = format!("file:{}", h.path().join("v").display());
    let r = with_stdin(
        h.path(),
        &["--store", &spec, "add", "--secret", "-", "--issuer", "Bank"],
        &[("SOFTTOKEN_PASSPHRASE", "short")],
        RFC_SECRET,
    );
    assert_eq!(r.status, 2, "{}", r.err);
    assert!(r.err.contains("at least 8 characters"), "{}", r.err);
    assert!(!h.path().join("v").exists(), "no vault was created");
    let r = with_stdin(
        h.path(),
        &["--store", &spec, "add", "--secret", "-", "--issuer", "Bank"],
        &[("SOFTTOKEN_PASSPHRASE", "a passphrase")],
        RFC_SECRET,
    );
    assert_eq!(r.status, 0, "{}", r.err);
    // An existing vault opens with whatever passphrase it was made with; the minimum is for new ones.
    assert!(ok(
        h.path(),
        &["--store", &spec, "list"],
        &[("SOFTTOKEN_PASSPHRASE", "a passphrase")]
    )
    .contains("Bank"));
}

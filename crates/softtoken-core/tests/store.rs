#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The token stores: one behaviour suite run against every store (memory, encrypted file with a passphrase,
//! encrypted file with a key in a keychain, keychain + index), then a table of bad inputs and injected failures,
//! each checked for its typed error code and for leaving the store exactly as it was.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use softtoken_core::store::file::FileStore;
use softtoken_core::store::keychain::{FailOn, KeychainStore, MemoryBackend, SecretBackend};
use softtoken_core::store::memory::MemoryStore;
use softtoken_core::vault::{self, KdfParams, VaultKey};
use softtoken_core::{
    Algorithm, Digits, Error, NewToken, OtpKind, Params, Period, Seed, TokenInfo, TokenStore,
};

// ---------------------------------------------------------------------------------------------------------------
// Test data
// ---------------------------------------------------------------------------------------------------------------

/// RFC 4226 / RFC 6238's seed, "12345678901234567890".
const RFC_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const RFC_RAW: &str = "12345678901234567890";
/// A second seed ("Hello!" + 0xDEADBEEF).
const HELLO_B32: &str = "JBSWY3DPEHPK3PXP";
/// A third seed, 32 bytes.
const LONG_B32: &str = "KRUGS4ZANFZSAYJAON2HE33OM4QHIZLTOQQHGZLFMQQDEMBSGQQQ";
const PASS: &str = "correct horse battery staple 正しい馬";
/// The keychain entry name of a file store's vault key.
const KEY_NAME: &str = "vault-key";
const NOW: u64 = 1_700_000_000;

/// RFC 4226 Appendix D: HOTP codes of the RFC seed for counters 0 to 9.
const HOTP_RFC: [&str; 10] = [
    "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489",
];

fn fast() -> KdfParams {
    KdfParams {
        m_kib: 1024,
        t: 1,
        p: 1,
    }
}

fn pass() -> SecretString {
    SecretString::from(PASS)
}

fn seed(b32: &str) -> Seed {
    Seed::from_base32(b32).unwrap()
}

fn totp(issuer: Option<&str>, account: &str, serial: Option<&str>, b32: &str) -> NewToken {
    NewToken {
        issuer: issuer.map(str::to_string),
        account: account.to_string(),
        serial: serial.map(str::to_string),
        kind: OtpKind::Totp {
            period: Period::THIRTY,
        },
        params: Params::default(),
        seed: seed(b32),
    }
}

fn hotp(issuer: &str, account: &str, counter: u64) -> NewToken {
    NewToken {
        issuer: Some(issuer.to_string()),
        account: account.to_string(),
        serial: None,
        kind: OtpKind::Hotp { counter },
        params: Params::default(),
        seed: seed(RFC_B32),
    }
}

/// The texts that must never appear in an error message, a `Debug` string or a file in clear.
fn secrets() -> Vec<String> {
    let mut s: Vec<String> = [RFC_B32, RFC_RAW, HELLO_B32, LONG_B32, PASS]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    s.extend([RFC_B32, HELLO_B32, LONG_B32].iter().map(|s| s.to_lowercase()));
    s
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in secrets() {
        assert!(!text.contains(&secret), "{what} contains a secret: {text}");
    }
}

/// Checks an error's message, `Debug` form and source chain for secrets.
fn assert_clean_error(e: &Error) {
    assert_no_secret("error message", &e.to_string());
    assert_no_secret("error Debug", &format!("{e:?}"));
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        assert_no_secret("error source", &s.to_string());
        source = s.source();
    }
}

/// Asserts that `result` is the error `code`, that it carries no secret, and returns it.
#[track_caller]
fn expect_code<T: std::fmt::Debug>(result: softtoken_core::Result<T>, code: &str) -> Error {
    match result {
        Ok(v) => panic!("expected error {code}, got Ok({v:?})"),
        Err(e) => {
            assert_eq!(e.code(), code, "wrong error: {e}");
            assert_clean_error(&e);
            e
        }
    }
}

/// Every regular file under `dir` (relative name, bytes), sorted: "nothing on disk changed" is equality of this.
/// A store's lock file (`*.lock`, always empty: see `store::atomic::StoreLock`) holds no content and is left out.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_file() && path.extension().is_some_and(|e| e == "lock") {
                assert_eq!(meta.len(), 0, "{}: a lock file stays empty", path.display());
                continue;
            }
            if meta.is_dir() {
                walk(root, &path, out);
            } else if meta.is_file() {
                out.push((
                    path.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                ));
            } else {
                out.push((
                    path.strip_prefix(root).unwrap().to_path_buf(),
                    b"<symlink>".to_vec(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------------------------
// The stores under test, behind one harness
// ---------------------------------------------------------------------------------------------------------------

/// Everything observable about a store: its list, the files it keeps and how many keychain entries it holds.
#[derive(Debug, PartialEq)]
struct State {
    list: Vec<TokenInfo>,
    files: Vec<(PathBuf, Vec<u8>)>,
    keychain_entries: usize,
}

trait Harness {
    type S: TokenStore + std::fmt::Debug;
    fn new() -> Self;
    fn store(&mut self) -> &mut Self::S;
    /// Drops the store and opens it again from what it persisted (a no-op for the memory store).
    fn reopen(&mut self);
    fn persistent(&self) -> bool;
    fn state(&mut self) -> State;
}

struct MemoryH {
    store: MemoryStore,
}

impl Harness for MemoryH {
    type S = MemoryStore;
    fn new() -> Self {
        MemoryH {
            store: MemoryStore::new(),
        }
    }
    fn store(&mut self) -> &mut MemoryStore {
        &mut self.store
    }
    fn reopen(&mut self) {}
    fn persistent(&self) -> bool {
        false
    }
    fn state(&mut self) -> State {
        State {
            list: self.store.list().unwrap(),
            files: Vec::new(),
            keychain_entries: 0,
        }
    }
}

struct FilePassH {
    dir: tempfile::TempDir,
    store: FileStore,
}

impl FilePassH {
    fn path(dir: &Path) -> PathBuf {
        dir.join("tokens.vault")
    }
}

impl Harness for FilePassH {
    type S = FileStore;
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open_with_passphrase(Self::path(dir.path()), &pass(), fast()).unwrap();
        FilePassH { dir, store }
    }
    fn store(&mut self) -> &mut FileStore {
        &mut self.store
    }
    fn reopen(&mut self) {
        self.store = FileStore::open_with_passphrase(Self::path(self.dir.path()), &pass(), fast()).unwrap();
    }
    fn persistent(&self) -> bool {
        true
    }
    fn state(&mut self) -> State {
        State {
            list: self.store.list().unwrap(),
            files: files(self.dir.path()),
            keychain_entries: 0,
        }
    }
}

struct FileKeyH {
    dir: tempfile::TempDir,
    backend: Arc<MemoryBackend>,
    store: FileStore,
}

impl Harness for FileKeyH {
    type S = FileStore;
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(MemoryBackend::new());
        let store =
            FileStore::open_with_keychain_key(FilePassH::path(dir.path()), &*backend, KEY_NAME).unwrap();
        FileKeyH { dir, backend, store }
    }
    fn store(&mut self) -> &mut FileStore {
        &mut self.store
    }
    fn reopen(&mut self) {
        self.store =
            FileStore::open_with_keychain_key(FilePassH::path(self.dir.path()), &*self.backend, KEY_NAME)
                .unwrap();
    }
    fn persistent(&self) -> bool {
        true
    }
    fn state(&mut self) -> State {
        State {
            list: self.store.list().unwrap(),
            files: files(self.dir.path()),
            keychain_entries: self.backend.len(),
        }
    }
}

struct KeychainH {
    dir: tempfile::TempDir,
    backend: Arc<MemoryBackend>,
    store: KeychainStore<Arc<MemoryBackend>>,
}

impl KeychainH {
    fn path(dir: &Path) -> PathBuf {
        dir.join("index.json")
    }
}

impl Harness for KeychainH {
    type S = KeychainStore<Arc<MemoryBackend>>;
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(MemoryBackend::new());
        let store = KeychainStore::new(Self::path(dir.path()), Arc::clone(&backend));
        KeychainH { dir, backend, store }
    }
    fn store(&mut self) -> &mut Self::S {
        &mut self.store
    }
    fn reopen(&mut self) {
        self.store = KeychainStore::new(Self::path(self.dir.path()), Arc::clone(&self.backend));
    }
    fn persistent(&self) -> bool {
        true
    }
    fn state(&mut self) -> State {
        State {
            list: self.store.list().unwrap(),
            files: files(self.dir.path()),
            keychain_entries: self.backend.len(),
        }
    }
}

/// Runs each scenario (a generic `fn name<H: Harness>()`) once per store, as `store_kind::name`.
macro_rules! on_every_store {
    ($($scenario:ident),* $(,)?) => {
        mod memory {
            $( #[test] fn $scenario() { super::$scenario::<super::MemoryH>(); } )*
        }
        mod file_passphrase {
            $( #[test] fn $scenario() { super::$scenario::<super::FilePassH>(); } )*
        }
        mod file_keychain_key {
            $( #[test] fn $scenario() { super::$scenario::<super::FileKeyH>(); } )*
        }
        mod keychain_memory_backend {
            $( #[test] fn $scenario() { super::$scenario::<super::KeychainH>(); } )*
        }
    };
}

on_every_store!(
    empty_store_lists_nothing_and_writes_nothing,
    add_then_list_and_find_by_id,
    find_by_serial_in_every_typed_form,
    find_by_issuer_account_issuer_or_account,
    ambiguous_name_needs_the_serial,
    unknown_token_is_not_found_and_changes_nothing,
    duplicate_serial_is_refused_however_typed,
    remove_deletes_the_token_and_its_seed,
    hotp_next_code_advances_the_counter_and_persists,
    totp_next_code_changes_nothing,
    tokens_persist_across_reopen,
    no_secret_in_errors_or_debug,
);

// ---------------------------------------------------------------------------------------------------------------
// The behaviour suite
// ---------------------------------------------------------------------------------------------------------------

fn empty_store_lists_nothing_and_writes_nothing<H: Harness>() {
    let mut h = H::new();
    assert!(h.store().list().unwrap().is_empty());
    assert!(
        h.state().files.is_empty(),
        "opening a store must not write a file"
    );
    expect_code(h.store().find("Shinkin"), "token_not_found");
    h.reopen();
    assert!(h.store().list().unwrap().is_empty());
}

fn add_then_list_and_find_by_id<H: Harness>() {
    let mut h = H::new();
    let a = h
        .store()
        .add(totp(Some("Shinkin"), "taro", Some("SKTN12345671"), RFC_B32), NOW)
        .unwrap();
    let b = h
        .store()
        .add(totp(Some("Other"), "hanako", None, HELLO_B32), NOW + 5)
        .unwrap();
    assert_eq!(a.id.len(), 16);
    assert!(
        a.id.bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "{}",
        a.id
    );
    assert_ne!(a.id, b.id);
    assert_eq!((a.created, b.created), (NOW, NOW + 5));
    assert_eq!(a.issuer.as_deref(), Some("Shinkin"));
    assert_eq!(a.serial.as_deref(), Some("SKTN12345671"));
    assert_eq!(
        a.kind,
        OtpKind::Totp {
            period: Period::THIRTY
        }
    );
    // Oldest first.
    assert_eq!(h.store().list().unwrap(), vec![a.clone(), b.clone()]);
    assert_eq!(h.store().find(&a.id).unwrap(), a);
    assert_eq!(h.store().find(&format!("  {}\n", b.id)).unwrap(), b);
    assert!(h.store().seed(&a.id).unwrap().ct_eq(&seed(RFC_B32)));
    assert!(h.store().seed(&b.id).unwrap().ct_eq(&seed(HELLO_B32)));
    let token = h.store().load(&a.id).unwrap();
    assert_eq!(token.code_at(59).as_str(), "287082"); // RFC 6238, T = 59, last 6 digits of 94287082
    assert_eq!(token.code_at(1_111_111_109).as_str(), "081804");
}

fn find_by_serial_in_every_typed_form<H: Harness>() {
    let mut h = H::new();
    let a = h
        .store()
        .add(totp(Some("Shinkin"), "taro", Some("SKTN12345671"), RFC_B32), NOW)
        .unwrap();
    h.store()
        .add(
            totp(Some("Shinkin"), "hanako", Some("SKTN76543216"), HELLO_B32),
            NOW,
        )
        .unwrap();
    assert_eq!(a.serial_display().as_deref(), Some("SKTN 1234 5671"));
    for typed in [
        "SKTN12345671",
        "SKTN 1234 5671",
        "sktn-1234-5671",
        "sktn 1234-5671",
        " SKTN12345671 ",
        "ＳＫＴＮ－１２３４－５６７１",
        "ＳＫＴＮ　１２３４　５６７１",
        "ｓｋｔｎ１２３４ー５６７１",
    ] {
        assert_eq!(h.store().find(typed).unwrap().id, a.id, "{typed}");
    }
    // A typo in the serial (check digit) finds nothing rather than a neighbour.
    expect_code(h.store().find("SKTN 1234 5672"), "token_not_found");
    expect_code(h.store().find("SKTN 1234 567"), "token_not_found");
}

fn find_by_issuer_account_issuer_or_account<H: Harness>() {
    let mut h = H::new();
    let jp = h
        .store()
        .add(totp(Some("しんきん銀行"), "山田太郎", None, RFC_B32), NOW)
        .unwrap();
    let en = h
        .store()
        .add(
            totp(Some("Shinkin Bank"), "taro@example.jp", None, HELLO_B32),
            NOW,
        )
        .unwrap();
    let bare = h.store().add(totp(None, "solo", None, LONG_B32), NOW).unwrap();
    for (query, want) in [
        ("しんきん銀行:山田太郎", &jp),
        ("しんきん銀行", &jp),
        ("山田太郎", &jp),
        ("Shinkin Bank:taro@example.jp", &en),
        ("shinkin bank:TARO@EXAMPLE.JP", &en),
        ("SHINKIN BANK", &en),
        ("taro@example.jp", &en),
        ("solo", &bare),
    ] {
        assert_eq!(&h.store().find(query).unwrap(), want, "{query}");
    }
    assert_eq!(jp.name(), "しんきん銀行:山田太郎");
    expect_code(h.store().find("Shinkin"), "token_not_found"); // no prefix matching
    expect_code(h.store().find("しんきん銀行:花子"), "token_not_found");
}

fn ambiguous_name_needs_the_serial<H: Harness>() {
    let mut h = H::new();
    let taro = h
        .store()
        .add(totp(Some("Shinkin"), "taro", Some("SKTN12345671"), RFC_B32), NOW)
        .unwrap();
    let hanako = h
        .store()
        .add(
            totp(Some("Shinkin"), "hanako", Some("SKTN76543216"), HELLO_B32),
            NOW,
        )
        .unwrap();
    let before = h.state();
    let e = expect_code(h.store().find("Shinkin"), "ambiguous_token");
    assert!(matches!(e, Error::AmbiguousToken { count: 2, .. }), "{e:?}");
    assert!(e.to_string().contains("2 tokens"), "{e}");
    expect_code(h.store().load("shinkin"), "ambiguous_token");
    expect_code(h.store().next_code("Shinkin", NOW), "ambiguous_token");
    assert_eq!(h.store().find("SKTN 1234 5671").unwrap(), taro);
    assert_eq!(h.store().find("ＳＫＴＮ　７６５４　３２１６").unwrap(), hanako);
    assert_eq!(h.store().find("Shinkin:hanako").unwrap(), hanako);
    assert_eq!(h.state(), before);
}

fn unknown_token_is_not_found_and_changes_nothing<H: Harness>() {
    let mut h = H::new();
    h.store().add(hotp("Shinkin", "taro", 5), NOW).unwrap();
    let before = h.state();
    expect_code(h.store().find("nobody"), "token_not_found");
    expect_code(h.store().find(""), "token_not_found");
    expect_code(h.store().find("   "), "token_not_found");
    expect_code(h.store().load("nobody"), "token_not_found");
    expect_code(h.store().next_code("nobody", NOW), "token_not_found");
    expect_code(h.store().seed("0123456789abcdef"), "token_not_found");
    expect_code(h.store().remove("0123456789abcdef"), "token_not_found");
    expect_code(h.store().set_counter("0123456789abcdef", 9), "token_not_found");
    // A query is shown back in the message, shortened.
    let long = "x".repeat(500);
    let e = expect_code(h.store().find(&long), "token_not_found");
    assert!(e.to_string().len() < 200, "{e}");
    assert_eq!(h.state(), before);
}

fn duplicate_serial_is_refused_however_typed<H: Harness>() {
    let mut h = H::new();
    h.store()
        .add(totp(Some("Shinkin"), "taro", Some("SKTN12345671"), RFC_B32), NOW)
        .unwrap();
    let before = h.state();
    for typed in [
        "SKTN12345671",
        "sktn12345671",
        "SKTN 1234 5671",
        "sktn-1234-5671",
        "ＳＫＴＮ－１２３４－５６７１",
    ] {
        let e = expect_code(
            h.store()
                .add(totp(Some("Another"), "someone", Some(typed), HELLO_B32), NOW + 1),
            "duplicate_token",
        );
        assert!(e.to_string().contains("SKTN 1234 5671"), "{e}");
        assert_eq!(h.state(), before, "a refused add changed the store ({typed})");
    }
    // A serial that is not one of ours is compared as given, ignoring case.
    h.store()
        .add(totp(Some("Other"), "x", Some("TOTP0001A2B3"), LONG_B32), NOW)
        .unwrap();
    let before = h.state();
    expect_code(
        h.store()
            .add(totp(Some("Other"), "y", Some("totp0001a2b3"), HELLO_B32), NOW),
        "duplicate_token",
    );
    assert_eq!(h.state(), before);
    // A different serial is fine.
    h.store()
        .add(
            totp(Some("Shinkin"), "taro", Some("SKTN76543216"), HELLO_B32),
            NOW,
        )
        .unwrap();
    assert_eq!(h.store().list().unwrap().len(), 3);
}

fn remove_deletes_the_token_and_its_seed<H: Harness>() {
    let mut h = H::new();
    let a = h
        .store()
        .add(totp(Some("Shinkin"), "taro", Some("SKTN12345671"), RFC_B32), NOW)
        .unwrap();
    let b = h
        .store()
        .add(totp(Some("Shinkin"), "hanako", None, HELLO_B32), NOW)
        .unwrap();
    let entries_before = h.state().keychain_entries;
    h.store().remove(&a.id).unwrap();
    assert_eq!(h.store().list().unwrap(), vec![b.clone()]);
    expect_code(h.store().seed(&a.id), "token_not_found");
    expect_code(h.store().find("SKTN12345671"), "token_not_found");
    expect_code(h.store().remove(&a.id), "token_not_found");
    // The keychain store deletes the seed's entry; the file store keeps only its vault key there.
    if std::any::type_name::<H>().ends_with("KeychainH") {
        assert_eq!(h.state().keychain_entries, entries_before - 1);
    } else {
        assert_eq!(h.state().keychain_entries, entries_before);
    }
    // The serial is free again.
    h.store()
        .add(totp(Some("Shinkin"), "taro", Some("SKTN12345671"), LONG_B32), NOW)
        .unwrap();
    h.reopen();
    let list = h.store().list().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0], b);
    assert!(h.store().seed(&b.id).unwrap().ct_eq(&seed(HELLO_B32)));
    assert!(h
        .store()
        .load("SKTN12345671")
        .unwrap()
        .seed()
        .ct_eq(&seed(LONG_B32)));
    for t in list {
        h.store().remove(&t.id).unwrap();
    }
    assert!(h.store().list().unwrap().is_empty());
    h.reopen();
    assert!(h.store().list().unwrap().is_empty());
}

fn hotp_next_code_advances_the_counter_and_persists<H: Harness>() {
    let mut h = H::new();
    let t = h.store().add(hotp("Shinkin", "taro", 0), NOW).unwrap();
    for (i, want) in HOTP_RFC.iter().enumerate().take(3) {
        let (info, code) = h.store().next_code("Shinkin:taro", NOW).unwrap();
        assert_eq!(code.as_str(), *want, "counter {i}");
        assert_eq!(
            info.kind,
            OtpKind::Hotp {
                counter: i as u64 + 1
            }
        );
        assert_eq!(
            h.store().find(&t.id).unwrap().kind,
            OtpKind::Hotp {
                counter: i as u64 + 1
            }
        );
    }
    h.reopen();
    if h.persistent() {
        assert_eq!(h.store().find(&t.id).unwrap().kind, OtpKind::Hotp { counter: 3 });
    }
    let (_, code) = h.store().next_code(&t.id, NOW).unwrap();
    assert_eq!(code.as_str(), HOTP_RFC[3]);
    // Everything else about the token is unchanged.
    let now = h.store().find(&t.id).unwrap();
    assert_eq!(TokenInfo { kind: t.kind, ..now }, t);
    // set_counter jumps; a later next_code continues from there.
    h.store().set_counter(&t.id, 9).unwrap();
    h.reopen();
    assert_eq!(h.store().next_code("taro", NOW).unwrap().1.as_str(), HOTP_RFC[9]);
    assert_eq!(
        h.store().find("taro").unwrap().kind,
        OtpKind::Hotp { counter: 10 }
    );
}

fn totp_next_code_changes_nothing<H: Harness>() {
    let mut h = H::new();
    h.store()
        .add(totp(Some("Shinkin"), "taro", None, RFC_B32), NOW)
        .unwrap();
    let before = h.state();
    let (info, code) = h.store().next_code("Shinkin", 59).unwrap();
    assert_eq!(code.as_str(), "287082");
    assert_eq!(info, before.list[0]);
    assert_eq!(h.state(), before, "a TOTP code must not rewrite the store");
}

fn tokens_persist_across_reopen<H: Harness>() {
    let mut h = H::new();
    let mut sha256 = totp(Some("しんきん銀行"), "山田太郎", Some("SKTN12345671"), LONG_B32);
    sha256.params = Params {
        algorithm: Algorithm::Sha256,
        digits: Digits::new(8).unwrap(),
    };
    sha256.kind = OtpKind::Totp {
        period: Period::new(60).unwrap(),
    };
    let added = [
        h.store().add(sha256, NOW).unwrap(),
        h.store().add(hotp("Shinkin", "taro", 42), NOW + 1).unwrap(),
        h.store().add(totp(None, "", None, HELLO_B32), NOW + 2).unwrap(),
    ];
    let codes: Vec<String> = added
        .iter()
        .map(|t| h.store().load(&t.id).unwrap().code_at(NOW).as_str().to_string())
        .collect();
    h.reopen();
    if !h.persistent() {
        return;
    }
    assert_eq!(h.store().list().unwrap(), added.to_vec());
    for (t, (b32, code)) in added
        .iter()
        .zip([LONG_B32, RFC_B32, HELLO_B32].iter().zip(&codes))
    {
        let token = h.store().load(&t.id).unwrap();
        assert!(token.seed().ct_eq(&seed(b32)), "seed of {}", t.name());
        assert_eq!(token.code_at(NOW).as_str(), code);
        assert_eq!(&token.info, t);
    }
    assert_eq!(
        h.store()
            .load("SKTN12345671")
            .unwrap()
            .code_at(NOW)
            .as_str()
            .len(),
        8
    );
    // A second reopen reads the same again (nothing was rewritten by reading).
    let state = h.state();
    h.reopen();
    assert_eq!(h.state(), state);
}

fn no_secret_in_errors_or_debug<H: Harness>() {
    let mut h = H::new();
    let a = h
        .store()
        .add(totp(Some("Shinkin"), "taro", Some("SKTN12345671"), RFC_B32), NOW)
        .unwrap();
    h.store()
        .add(totp(Some("Shinkin"), "hanako", None, HELLO_B32), NOW)
        .unwrap();
    h.store().add(hotp("Bank", "x", 1), NOW).unwrap();
    let errors = [
        h.store()
            .add(totp(None, "dup", Some("SKTN12345671"), RFC_B32), NOW)
            .unwrap_err(),
        h.store().find("Shinkin").unwrap_err(),
        h.store().seed("ffffffffffffffff").unwrap_err(),
        h.store().remove("ffffffffffffffff").unwrap_err(),
        h.store().next_code("nobody", NOW).unwrap_err(),
    ];
    for e in &errors {
        assert_clean_error(e);
    }
    assert_no_secret("store Debug", &format!("{:?}", h.store()));
    assert_no_secret("store Debug", &format!("{:#?}", h.store()));
    let token = h.store().load(&a.id).unwrap();
    assert_no_secret("Token Debug", &format!("{token:?}"));
    assert_no_secret("Seed Debug", &format!("{:?}", token.seed()));
    assert_no_secret("list Debug", &format!("{:?}", h.store().list().unwrap()));
    assert_no_secret(
        "TokenInfo JSON",
        &serde_json::to_string(&h.store().list().unwrap()).unwrap(),
    );
    assert_no_secret("NewToken Debug", &format!("{:?}", totp(None, "n", None, RFC_B32)));
    // Files hold no seed and no passphrase in clear.
    for (name, bytes) in h.state().files {
        for secret in secrets() {
            assert!(
                !contains(&bytes, secret.as_bytes()),
                "{} holds a secret in clear",
                name.display()
            );
        }
        assert!(
            !contains(&bytes, seed(HELLO_B32).expose()),
            "{} holds raw seed bytes",
            name.display()
        );
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------------------------
// The encrypted file: damaged, altered and hostile vaults
// ---------------------------------------------------------------------------------------------------------------

/// Header layout of a passphrase vault (see vault.rs): magic 0..8, version 8, kind 9, m/t/p 10..22, salt 22..38,
/// nonce 38..62, then ciphertext and tag.
const PASS_HEADER_LEN: usize = 62;
/// A raw-key vault: magic, version, kind, nonce 10..34.
const RAW_HEADER_LEN: usize = 34;
const TAG_LEN: usize = 16;

/// A passphrase vault with two tokens, in its own temporary folder.
fn passphrase_vault() -> (tempfile::TempDir, PathBuf, Vec<u8>, Vec<TokenInfo>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.vault");
    let mut s = FileStore::open_with_passphrase(&path, &pass(), fast()).unwrap();
    s.add(totp(Some("Shinkin"), "taro", Some("SKTN12345671"), RFC_B32), NOW)
        .unwrap();
    s.add(hotp("Shinkin", "hanako", 3), NOW).unwrap();
    let list = s.list().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    (dir, path, bytes, list)
}

fn open_pass(path: &Path, passphrase: &str) -> softtoken_core::Result<FileStore> {
    FileStore::open_with_passphrase(path, &SecretString::from(passphrase), fast())
}

/// Opens `bytes` as a vault (written to a scratch file) and returns the error; checks the file is not modified.
#[track_caller]
fn open_damaged(bytes: &[u8]) -> Error {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.vault");
    std::fs::write(&path, bytes).unwrap();
    let result = open_pass(&path, PASS);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "a failed open modified the vault"
    );
    assert_eq!(files(dir.path()).len(), 1, "a failed open created a file");
    match result {
        Ok(s) => panic!("a damaged vault ({} bytes) opened: {:?}", bytes.len(), s.list()),
        Err(e) => {
            assert_clean_error(&e);
            e
        }
    }
}

#[test]
fn passphrase_vault_layout_is_as_documented() {
    let (_dir, _path, bytes, _) = passphrase_vault();
    assert_eq!(&bytes[..8], vault::MAGIC);
    assert_eq!(bytes[8], vault::VERSION);
    assert_eq!(bytes[9], 1, "key kind 1 = Argon2id");
    assert_eq!(
        &bytes[10..22],
        [1024u32.to_le_bytes(), 1u32.to_le_bytes(), 1u32.to_le_bytes()].concat()
    );
    assert!(bytes.len() > PASS_HEADER_LEN + TAG_LEN);
    assert!(VaultKey::uses_passphrase(&bytes).unwrap());
}

#[test]
fn wrong_passphrase_changes_nothing() {
    let (dir, path, bytes, list) = passphrase_vault();
    let before = files(dir.path());
    for wrong in [
        "",
        "correct horse battery staple",
        "Correct horse battery staple 正しい馬",
        "x",
    ] {
        let e = expect_code(open_pass(&path, wrong), "wrong_passphrase");
        assert!(e.to_string().contains("tokens.vault"), "{e}");
    }
    assert_eq!(files(dir.path()), before);
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(open_pass(&path, PASS).unwrap().list().unwrap(), list);
}

#[test]
fn truncated_vault_is_corrupt_or_wrong_key_never_a_panic() {
    let (_dir, _path, bytes, _) = passphrase_vault();
    let n = bytes.len();
    for (len, code) in [
        (0, "vault_corrupt"),
        (5, "vault_corrupt"),
        (8, "vault_corrupt"),
        (9, "vault_corrupt"),
        (20, "vault_corrupt"),
        (37, "vault_corrupt"),
        (PASS_HEADER_LEN - 1, "vault_corrupt"),
        (PASS_HEADER_LEN, "vault_corrupt"),               // header only
        (PASS_HEADER_LEN + TAG_LEN - 1, "vault_corrupt"), // not even a tag
        (PASS_HEADER_LEN + TAG_LEN, "wrong_passphrase"),  // a tag and no ciphertext: fails authentication
        (n - TAG_LEN, "wrong_passphrase"),
        (n - 1, "wrong_passphrase"), // minus one byte of the tag
    ] {
        let e = open_damaged(&bytes[..len]);
        assert_eq!(e.code(), code, "truncated to {len} of {n} bytes: {e}");
    }
    // Every other length too: always one of the two errors.
    for len in 0..n {
        let code = open_damaged(&bytes[..len]).code();
        assert!(
            code == "vault_corrupt" || code == "wrong_passphrase",
            "{len}: {code}"
        );
    }
    // And appended bytes fail authentication.
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(open_damaged(&longer).code(), "wrong_passphrase");
}

#[test]
fn flipped_bytes_are_refused() {
    let (_dir, _path, bytes, _) = passphrase_vault();
    let n = bytes.len();
    let flip = |at: usize, mask: u8| {
        let mut b = bytes.clone();
        b[at] ^= mask;
        b
    };
    for (what, at, code) in [
        ("magic", 0, "vault_corrupt"),
        ("magic end", 7, "vault_corrupt"),
        ("version", 8, "vault_corrupt"),
        ("key kind", 9, "vault_corrupt"),
        ("m_cost", 10, "wrong_passphrase"), // 1024 -> 1025 KiB: valid, but a different key and AAD
        ("t_cost", 14, "vault_corrupt"),    // 1 -> 0 passes: out of bounds
        ("p_cost", 18, "vault_corrupt"),    // 1 -> 0 lanes
        ("salt", 22, "wrong_passphrase"),
        ("salt end", 37, "wrong_passphrase"),
        ("nonce", 38, "wrong_passphrase"),
        ("nonce end", 61, "wrong_passphrase"),
        ("ciphertext", PASS_HEADER_LEN, "wrong_passphrase"),
        (
            "ciphertext middle",
            (PASS_HEADER_LEN + n - TAG_LEN) / 2,
            "wrong_passphrase",
        ),
        ("tag", n - TAG_LEN, "wrong_passphrase"),
        ("tag end", n - 1, "wrong_passphrase"),
    ] {
        let e = open_damaged(&flip(at, 0x01));
        assert_eq!(e.code(), code, "{what} (byte {at}): {e}");
    }
    // Every single bit-0 flip, anywhere, is refused.
    for at in 0..n {
        let code = open_damaged(&flip(at, 0x01)).code();
        assert!(
            code == "vault_corrupt" || code == "wrong_passphrase",
            "byte {at}: {code}"
        );
    }
}

/// A vault header asking Argon2id for more than the bounds (issue 17) is refused as corrupt before any key is
/// derived, with the bounds in the message; the largest work inside them opens. (Written over a fast vault's
/// header: the changed parameters also fail authentication, so an accepted header answers `wrong_passphrase`.)
#[test]
fn kdf_parameters_beyond_the_bounds_are_refused_before_deriving() {
    let (_dir, _path, bytes, _) = passphrase_vault();
    let with = |m_kib: u32, t: u32, p: u32| {
        let mut b = bytes.clone();
        b[10..22].copy_from_slice(&[m_kib.to_le_bytes(), t.to_le_bytes(), p.to_le_bytes()].concat());
        open_damaged(&b)
    };
    for (m_kib, t, p) in [
        (vault::KDF_MAX_M_KIB + 1, 1, 1),
        (1024, vault::KDF_MAX_T + 1, 1),
        (1024, 1, vault::KDF_MAX_P + 1),
        (32 * 1024, 5, 1),   // each within bounds, 160 MiB × passes over 128
        (256 * 1024, 16, 8), // what the reader accepted before
        (u32::MAX, u32::MAX, u32::MAX),
    ] {
        let e = with(m_kib, t, p);
        assert_eq!(e.code(), "vault_corrupt", "m={m_kib} t={t} p={p}: {e}");
        assert!(
            e.to_string()
                .contains("at most 64 MiB, 8 passes, 4 lanes, 128 MiB × passes"),
            "{e}"
        );
    }
    // At the bounds: derived (a different key), so the answer is the authentication's.
    assert_eq!(with(vault::KDF_MAX_M_KIB, 2, 1).code(), "wrong_passphrase");
    assert_eq!(
        with(16 * 1024, vault::KDF_MAX_T, vault::KDF_MAX_P).code(),
        "wrong_passphrase"
    );
}

#[test]
fn unknown_version_is_corrupt_and_says_so() {
    let (_dir, _path, bytes, _) = passphrase_vault();
    for version in [0u8, 2, 9, 255] {
        let mut b = bytes.clone();
        b[8] = version;
        let e = open_damaged(&b);
        assert_eq!(e.code(), "vault_corrupt");
        let msg = e.to_string();
        assert!(
            msg.contains("version") && msg.contains(&version.to_string()),
            "{msg}"
        );
    }
}

#[test]
fn absurd_argon2_parameters_are_refused_fast() {
    let (_dir, _path, bytes, _) = passphrase_vault();
    let started = Instant::now();
    for (m, t, p) in [
        (u32::MAX, 1, 1),
        (4 * 1024 * 1024, 1, 1), // 4 GiB
        (1024 * 1024 + 1, 1, 1),
        (0, 1, 1),
        (7, 1, 1),
        (1024, u32::MAX, 1),
        (1024, 65, 1),
        (1024, 0, 1),
        (1024, 1, u32::MAX),
        (1024, 1, 17),
        (1024, 1, 0),
        (8, 1, 16), // within each bound, but Argon2 needs 8 KiB per lane
        (u32::MAX, u32::MAX, u32::MAX),
    ] {
        let mut b = bytes.clone();
        b[10..14].copy_from_slice(&m.to_le_bytes());
        b[14..18].copy_from_slice(&t.to_le_bytes());
        b[18..22].copy_from_slice(&p.to_le_bytes());
        let e = open_damaged(&b);
        assert_eq!(e.code(), "vault_corrupt", "m={m} t={t} p={p}: {e}");
        assert!(
            e.to_string().contains("tokens") || e.to_string().contains("damaged.vault"),
            "{e}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refusing bad parameters took {:?}",
        started.elapsed()
    );
}

#[test]
fn default_kdf_parameters_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("default.vault");
    let mut s = FileStore::open_with_passphrase(&path, &pass(), KdfParams::default()).unwrap();
    let t = s
        .add(totp(Some("Shinkin"), "taro", Some("SKTN12345671"), RFC_B32), NOW)
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let d = KdfParams::default();
    assert_eq!((d.m_kib, d.t, d.p), (19 * 1024, 2, 1));
    assert_eq!(
        &bytes[10..22],
        [d.m_kib.to_le_bytes(), d.t.to_le_bytes(), d.p.to_le_bytes()].concat()
    );
    // The parameters of an existing vault come from its header, not from the caller.
    let s = FileStore::open_with_passphrase(&path, &pass(), fast()).unwrap();
    assert_eq!(s.list().unwrap(), vec![t.clone()]);
    assert!(s.seed(&t.id).unwrap().ct_eq(&seed(RFC_B32)));
    expect_code(
        FileStore::open_with_passphrase(&path, &SecretString::from("nope"), fast()),
        "wrong_passphrase",
    );
}

#[test]
fn every_write_uses_a_fresh_nonce_and_the_file_is_private() {
    let (dir, path, first, _) = passphrase_vault();
    let mut s = open_pass(&path, PASS).unwrap();
    let id = s.find("hanako").unwrap().id;
    s.set_counter(&id, 3).unwrap(); // same contents as before
    let second = std::fs::read(&path).unwrap();
    assert_eq!(first.len(), second.len());
    assert_eq!(first[..38], second[..38], "the salt and parameters stay");
    assert_ne!(
        first[38..62],
        second[38..62],
        "the nonce must change on every write"
    );
    assert_ne!(first[62..], second[62..]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "vault mode {mode:o}");
    }
    assert_eq!(files(dir.path()).len(), 1, "no temporary file left behind");
}

#[test]
fn raw_key_vault_damage_is_refused() {
    let h = {
        let mut h = FileKeyH::new();
        h.store()
            .add(totp(Some("Shinkin"), "taro", Some("SKTN12345671"), RFC_B32), NOW)
            .unwrap();
        h
    };
    let path = FilePassH::path(h.dir.path());
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes[9], 2, "key kind 2 = raw key");
    assert!(!VaultKey::uses_passphrase(&bytes).unwrap());
    let reopen = |b: &[u8]| {
        std::fs::write(&path, b).unwrap();
        let r = FileStore::open_with_keychain_key(&path, &*h.backend, KEY_NAME);
        match r {
            Ok(s) => panic!("a damaged raw-key vault opened: {:?}", s.list()),
            Err(e) => {
                assert_clean_error(&e);
                e.code()
            }
        }
    };
    for len in [0, 5, 9, 20, RAW_HEADER_LEN, RAW_HEADER_LEN + TAG_LEN - 1] {
        assert_eq!(reopen(&bytes[..len]), "vault_corrupt", "truncated to {len}");
    }
    assert_eq!(reopen(&bytes[..bytes.len() - 1]), "wrong_passphrase");
    for at in 0..bytes.len() {
        let mut b = bytes.clone();
        b[at] ^= 0x01;
        let code = reopen(&b);
        let want = if at < 10 {
            "vault_corrupt"
        } else {
            "wrong_passphrase"
        };
        assert_eq!(code, want, "byte {at}");
    }
    std::fs::write(&path, &bytes).unwrap();
    FileStore::open_with_keychain_key(&path, &*h.backend, KEY_NAME).unwrap();
}

#[test]
fn a_vault_opened_with_the_other_kind_of_key_is_refused() {
    let (dir, path, bytes, _) = passphrase_vault();
    let backend = MemoryBackend::new();
    backend.set(KEY_NAME, &[7u8; 32]).unwrap();
    expect_code(
        FileStore::open_with_keychain_key(&path, &backend, KEY_NAME),
        "wrong_passphrase",
    );
    // Without a key in the keychain, an existing vault is not silently given a new one.
    let empty = MemoryBackend::new();
    expect_code(
        FileStore::open_with_keychain_key(&path, &empty, KEY_NAME),
        "keychain",
    );
    assert!(empty.is_empty());
    assert_eq!(std::fs::read(&path).unwrap(), bytes);

    let mut h = FileKeyH::new();
    h.store().add(totp(None, "a", None, RFC_B32), NOW).unwrap();
    let e = expect_code(open_pass(&FilePassH::path(h.dir.path()), PASS), "vault_corrupt");
    assert!(e.to_string().contains("keychain"), "{e}");
    drop(dir);
}

#[test]
fn vault_key_in_the_keychain_failures() {
    // Creating the key fails: no key stored, no file written.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.vault");
    let backend = MemoryBackend::new();
    backend.fail_next(FailOn::Set);
    expect_code(
        FileStore::open_with_keychain_key(&path, &backend, KEY_NAME),
        "keychain",
    );
    assert!(backend.is_empty());
    assert!(files(dir.path()).is_empty());
    // The keychain fails to answer.
    backend.fail_next(FailOn::Get);
    expect_code(
        FileStore::open_with_keychain_key(&path, &backend, KEY_NAME),
        "keychain",
    );
    assert!(backend.is_empty());
    // A stored key of the wrong length.
    backend.set(KEY_NAME, &[1u8; 16]).unwrap();
    let e = expect_code(
        FileStore::open_with_keychain_key(&path, &backend, KEY_NAME),
        "keychain",
    );
    assert!(e.to_string().contains("length"), "{e}");
    assert!(files(dir.path()).is_empty());
}

// ---------------------------------------------------------------------------------------------------------------
// The keychain store's index and backend failures
// ---------------------------------------------------------------------------------------------------------------

fn keychain_with_two() -> (KeychainH, TokenInfo, TokenInfo) {
    let mut h = KeychainH::new();
    let a = h
        .store()
        .add(totp(Some("Shinkin"), "taro", Some("SKTN12345671"), RFC_B32), NOW)
        .unwrap();
    let b = h
        .store()
        .add(totp(Some("Shinkin"), "hanako", None, HELLO_B32), NOW)
        .unwrap();
    (h, a, b)
}

#[test]
fn garbage_index_is_index_corrupt_and_left_alone() {
    for (what, garbage) in [
        ("empty", &b""[..]),
        ("not JSON", b"hello"),
        ("cut off", b"{\"version\":1,\"tokens\":[{\"id\":\"0123"),
        ("binary", &[0xff, 0xfe, 0x00, 0x13, 0x37][..]),
        ("missing tokens", b"{\"version\":1}"),
        ("wrong shape", b"[1,2,3]"),
        ("bad token", b"{\"version\":1,\"tokens\":[{\"id\":5}]}"),
        ("newer version", b"{\"version\":2,\"tokens\":[]}"),
    ] {
        let mut h = KeychainH::new();
        let index = KeychainH::path(h.dir.path());
        std::fs::write(&index, garbage).unwrap();
        let files_before = files(h.dir.path());
        expect_code(h.store().list(), "index_corrupt");
        expect_code(h.store().find("x"), "index_corrupt");
        expect_code(
            h.store().add(totp(None, "a", None, RFC_B32), NOW),
            "index_corrupt",
        );
        expect_code(h.store().seed("0123456789abcdef"), "index_corrupt");
        expect_code(h.store().remove("0123456789abcdef"), "index_corrupt");
        expect_code(h.store().set_counter("0123456789abcdef", 1), "index_corrupt");
        let e = expect_code(h.store().next_code("x", NOW), "index_corrupt");
        assert!(e.to_string().contains("index.json"), "{what}: {e}");
        if what == "newer version" {
            assert!(e.to_string().contains("version 2"), "{e}");
        }
        assert_eq!(
            files(h.dir.path()),
            files_before,
            "{what}: the index was modified"
        );
        assert!(h.backend.is_empty(), "{what}: a seed was stored");
    }
}

#[test]
fn keychain_set_failure_during_add_changes_nothing() {
    let (mut h, _, _) = keychain_with_two();
    let before = h.state();
    h.backend.fail_next(FailOn::Set);
    expect_code(
        h.store()
            .add(totp(Some("New"), "n", Some("SKTN76543216"), LONG_B32), NOW),
        "keychain",
    );
    assert_eq!(h.state(), before);
    // The failure was one-shot: the same add now works.
    h.store()
        .add(totp(Some("New"), "n", Some("SKTN76543216"), LONG_B32), NOW)
        .unwrap();
    assert_eq!(h.state().list.len(), 3);
}

#[test]
fn keychain_delete_failure_during_remove_keeps_the_token() {
    let (mut h, a, b) = keychain_with_two();
    let before = h.state();
    h.backend.fail_next(FailOn::Delete);
    expect_code(h.store().remove(&a.id), "keychain");
    assert_eq!(h.state(), before, "index bytes and keychain must be as before");
    assert_eq!(h.store().list().unwrap(), vec![a.clone(), b]);
    assert!(h.store().seed(&a.id).unwrap().ct_eq(&seed(RFC_B32)));
    assert_eq!(
        h.store().load("SKTN12345671").unwrap().code_at(59).as_str(),
        "287082"
    );
    h.store().remove(&a.id).unwrap();
    assert_eq!(h.state().keychain_entries, 1);
}

/// A process killed in the middle of an add (after its seed reached the keychain) or of a removal (before it
/// deleted the seed) leaves an entry that no token names; the index lists its id as pending, and the store's next
/// write deletes it. (`crates/softtoken-cli/tests/crash.rs` kills real processes on a real Secret Service.)
#[test]
fn keychain_entries_left_by_a_killed_add_or_remove_go_at_the_next_write() {
    let (mut h, a, b) = keychain_with_two();
    let index = KeychainH::path(h.dir.path());
    let cut_short = |h: &mut KeychainH, tokens: &str, orphan: &str| {
        h.backend.set(orphan, b"a seed nobody names").unwrap();
        let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&index).unwrap()).unwrap();
        v["pending"] = serde_json::json!([orphan]);
        if tokens == "without a" {
            v["tokens"] = serde_json::json!(v["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| t["id"] != a.id.as_str())
                .cloned()
                .collect::<Vec<_>>());
        }
        std::fs::write(&index, serde_json::to_vec(&v).unwrap()).unwrap();
        h.reopen();
    };
    // An add cut short: the orphan goes at the next add, which works.
    cut_short(&mut h, "both", "orphan-of-an-add");
    assert_eq!(h.state().keychain_entries, 3);
    assert_eq!(h.store().list().unwrap(), vec![a.clone(), b.clone()]);
    h.store()
        .add(totp(Some("New"), "n", Some("SKTN76543216"), LONG_B32), NOW)
        .unwrap();
    assert_eq!(
        h.state().keychain_entries,
        3,
        "two tokens before, one new, no orphan"
    );
    assert!(h.backend.get("orphan-of-an-add").unwrap().is_none());
    assert!(!String::from_utf8(std::fs::read(&index).unwrap())
        .unwrap()
        .contains("pending"));

    // A removal of `a` cut short after the index was written: its seed goes at the next write, here a removal.
    cut_short(&mut h, "without a", &a.id.clone());
    assert!(h.backend.get(&a.id).unwrap().is_some());
    h.store().remove(&b.id).unwrap();
    assert!(h.backend.get(&a.id).unwrap().is_none());
    assert_eq!(h.state().keychain_entries, 1, "only the new token's seed");
}

#[test]
fn keychain_get_failure_is_reported_not_treated_as_missing() {
    let (mut h, a, _) = keychain_with_two();
    let before = h.state();
    h.backend.fail_next(FailOn::Get);
    expect_code(h.store().seed(&a.id), "keychain");
    h.backend.fail_next(FailOn::Get);
    expect_code(h.store().next_code("SKTN12345671", NOW), "keychain");
    assert_eq!(h.state(), before);
}

#[test]
fn seed_missing_from_the_keychain() {
    let (h, a, _) = keychain_with_two();
    // The same index over an empty keychain (e.g. the keychain was reset).
    let other = KeychainStore::new(KeychainH::path(h.dir.path()), MemoryBackend::new());
    assert_eq!(other.list().unwrap().len(), 2);
    let e = expect_code(other.seed(&a.id), "seed_missing");
    assert!(e.to_string().contains(&a.id), "{e}");
    expect_code(other.load("SKTN12345671"), "seed_missing");
}

#[test]
fn the_index_holds_no_seed_and_is_private() {
    let (h, _, _) = keychain_with_two();
    let index = std::fs::read(KeychainH::path(h.dir.path())).unwrap();
    let text = String::from_utf8(index.clone()).unwrap();
    assert!(
        text.contains("\"version\": 1") && text.contains("SKTN12345671") && text.contains("hanako"),
        "{text}"
    );
    for secret in secrets() {
        assert!(!text.contains(&secret));
    }
    assert!(!contains(&index, seed(HELLO_B32).expose()));
    assert!(
        !text.to_lowercase().contains("secret") && !text.contains("seed"),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(KeychainH::path(h.dir.path()))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "index mode {mode:o}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The filesystem: crashes, impossible paths, failed writes
// ---------------------------------------------------------------------------------------------------------------

/// A leftover temporary file of an interrupted write, as write_atomic names them.
fn plant_leftover(dir: &Path, bytes: &[u8]) -> PathBuf {
    let p = dir.join(".softtoken-Xq3vZ9.tmp");
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn leftover_temporary_file_does_not_affect_the_file_store() {
    let (dir, path, bytes, list) = passphrase_vault();
    // A crash left a half-written copy (the first half of a newer vault) beside the vault.
    let leftover = plant_leftover(dir.path(), &bytes[..bytes.len() / 2]);
    let mut s = open_pass(&path, PASS).unwrap();
    assert_eq!(s.list().unwrap(), list);
    s.add(totp(Some("New"), "n", None, LONG_B32), NOW).unwrap();
    let s = open_pass(&path, PASS).unwrap();
    assert_eq!(s.list().unwrap().len(), 3);
    assert_eq!(std::fs::read(&leftover).unwrap(), &bytes[..bytes.len() / 2]);
}

#[test]
fn leftover_temporary_file_does_not_affect_the_keychain_store() {
    let (mut h, a, b) = keychain_with_two();
    plant_leftover(h.dir.path(), b"{\"version\":1,\"tokens\":[");
    h.reopen();
    assert_eq!(h.store().list().unwrap(), vec![a, b]);
    h.store()
        .add(totp(Some("New"), "n", None, LONG_B32), NOW)
        .unwrap();
    h.reopen();
    assert_eq!(h.store().list().unwrap().len(), 3);
}

#[test]
fn parent_is_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"I am a file").unwrap();
    let before = files(dir.path());
    for path in [
        blocker.join("tokens.vault"),
        blocker.join("deeper").join("tokens.vault"),
    ] {
        // File store, passphrase: the vault cannot even be looked for.
        let e = match FileStore::open_with_passphrase(&path, &pass(), fast()) {
            Err(e) => e,
            Ok(mut s) => s.add(totp(None, "a", None, RFC_B32), NOW).unwrap_err(),
        };
        assert_eq!(e.code(), "io", "{e}");
        assert_clean_error(&e);
        // File store, keychain key: refused before a key is made.
        let backend = MemoryBackend::new();
        let e = match FileStore::open_with_keychain_key(&path, &backend, KEY_NAME) {
            Err(e) => e,
            Ok(mut s) => s.add(totp(None, "a", None, RFC_B32), NOW).unwrap_err(),
        };
        assert_eq!(e.code(), "io", "{e}");
        // Keychain store: the index cannot be read or written, and no seed is left in the keychain.
        let backend = Arc::new(MemoryBackend::new());
        let mut k = KeychainStore::new(&path, Arc::clone(&backend));
        expect_code(k.add(totp(None, "a", None, RFC_B32), NOW), "io");
        expect_code(k.list(), "io");
        assert!(backend.is_empty());
        assert_eq!(files(dir.path()), before, "something was created");
    }
}

/// Makes `dir` unusable for writes (even for root): it is moved away and a dangling symlink takes its place, so
/// creating the folder or a temporary file in it fails. Returns a function that puts it back.
#[cfg(unix)]
fn break_folder(dir: &Path) -> impl FnOnce() {
    let moved = dir.with_extension("moved");
    std::fs::rename(dir, &moved).unwrap();
    std::os::unix::fs::symlink(dir.with_extension("nowhere").join("deeper"), dir).unwrap();
    let dir = dir.to_path_buf();
    move || {
        std::fs::remove_file(&dir).unwrap();
        std::fs::rename(&moved, &dir).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn failed_vault_write_leaves_file_and_store_unchanged() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("vaults");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("tokens.vault");
    let mut s = FileStore::open_with_passphrase(&path, &pass(), fast()).unwrap();
    let t = s.add(hotp("Shinkin", "taro", 0), NOW).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let list = s.list().unwrap();

    let restore = break_folder(&dir);
    expect_code(s.add(totp(None, "b", None, HELLO_B32), NOW), "io");
    assert_eq!(s.list().unwrap(), list);
    expect_code(s.remove(&t.id), "io");
    assert_eq!(s.list().unwrap(), list);
    // An HOTP code whose counter cannot be saved is not shown, and the counter is not advanced.
    expect_code(s.next_code("taro", NOW), "io");
    assert_eq!(s.list().unwrap(), list);
    restore();

    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(files(&dir).len(), 1);
    // The store still works, and the first code is still the counter-0 one.
    assert_eq!(s.next_code("taro", NOW).unwrap().1.as_str(), HOTP_RFC[0]);
    assert_eq!(
        open_pass(&path, PASS).unwrap().find("taro").unwrap().kind,
        OtpKind::Hotp { counter: 1 }
    );
}

#[cfg(unix)]
#[test]
fn failed_index_write_rolls_back_the_keychain_entry() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("state");
    std::fs::create_dir(&dir).unwrap();
    let backend = Arc::new(MemoryBackend::new());
    let mut k = KeychainStore::new(dir.join("index.json"), Arc::clone(&backend));
    let a = k.add(totp(Some("Shinkin"), "taro", None, RFC_B32), NOW).unwrap();
    let index = std::fs::read(dir.join("index.json")).unwrap();

    // Moving the folder away makes the index look absent (an empty store) and unwritable.
    let restore = break_folder(&dir);
    expect_code(k.add(totp(None, "b", None, HELLO_B32), NOW), "io");
    assert_eq!(
        backend.len(),
        1,
        "the seed written before the failed index write must be deleted again"
    );
    restore();

    assert_eq!(std::fs::read(dir.join("index.json")).unwrap(), index);
    assert_eq!(k.list().unwrap(), vec![a.clone()]);
    assert!(k.seed(&a.id).unwrap().ct_eq(&seed(RFC_B32)));
}

// ---------------------------------------------------------------------------------------------------------------
// Two processes on one store (the app and the CLI): no change is lost
// ---------------------------------------------------------------------------------------------------------------

fn numbered(i: u8) -> NewToken {
    NewToken {
        seed: Seed::from_bytes(&[i.wrapping_add(1); 20]).unwrap(),
        ..totp(Some("Bank"), &format!("account-{i}"), None, RFC_B32)
    }
}

/// Two handles opened on the same vault before either changes it: each change starts from the file as it is
/// then (under the store's lock), so the second add keeps the first, and a removal through the stale handle
/// removes only its token.
#[test]
fn two_handles_on_one_vault_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = FilePassH::path(dir.path());
    let mut a = FileStore::open_with_passphrase(&path, &pass(), fast()).unwrap();
    a.add(numbered(0), NOW).unwrap();
    let mut b = FileStore::open_with_passphrase(&path, &pass(), fast()).unwrap();
    let mut c = FileStore::open_with_passphrase(&path, &pass(), fast()).unwrap();
    let x = a.add(numbered(1), NOW).unwrap();
    let y = b.add(numbered(2), NOW).unwrap();
    c.remove(&x.id).unwrap();
    let names =
        |s: &FileStore| -> Vec<String> { s.list().unwrap().iter().map(|t| t.account.clone()).collect() };
    let fresh = FileStore::open_with_passphrase(&path, &pass(), fast()).unwrap();
    assert_eq!(names(&fresh), ["account-0", "account-2"], "{:?}", y.id);
}

/// Threads standing in for processes, each with its own handle on one keychain index: every add is kept.
#[test]
fn concurrent_adds_to_one_keychain_index_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("tokens.json");
    let backend = Arc::new(MemoryBackend::new());
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            let (index, backend) = (index.clone(), backend.clone());
            std::thread::spawn(move || {
                let mut s = KeychainStore::new(index, backend);
                for i in 0..10u8 {
                    s.add(numbered(t * 10 + i), NOW).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = KeychainStore::new(index, backend.clone());
    let tokens = s.list().unwrap();
    assert_eq!(tokens.len(), 40);
    for t in &tokens {
        assert!(s.seed(&t.id).is_ok(), "{} has its seed", t.account);
    }
}

/// The app and the CLI showing an HOTP token's next code at the same moment: each gets its own counter, none is
/// shown twice, and the stored counter ends past all of them. Four threads with their own handles on one store.
fn concurrent_hotp_codes_never_repeat(mut open: impl FnMut() -> Box<dyn TokenStore + Send>) {
    let id = open().add(hotp("Shinkin", "taro", 0), NOW).unwrap().id;
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (mut s, id) = (open(), id.clone());
            std::thread::spawn(move || {
                (0..5)
                    .map(|_| match s.next_code(&id, NOW).unwrap().0.kind {
                        OtpKind::Hotp { counter } => counter - 1,
                        other => panic!("{other:?}"),
                    })
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut used: Vec<u64> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    used.sort_unstable();
    assert_eq!(used, (0..20).collect::<Vec<u64>>(), "counters 0 to 19, each once");
    assert_eq!(open().find(&id).unwrap().kind, OtpKind::Hotp { counter: 20 });
}

#[test]
fn concurrent_hotp_codes_from_one_vault_never_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let path = FilePassH::path(dir.path());
    concurrent_hotp_codes_never_repeat(|| {
        Box::new(FileStore::open_with_passphrase(&path, &pass(), fast()).unwrap())
    });
}

#[test]
fn concurrent_hotp_codes_from_one_keychain_index_never_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("tokens.json");
    let backend = Arc::new(MemoryBackend::new());
    concurrent_hotp_codes_never_repeat(|| Box::new(KeychainStore::new(index.clone(), backend.clone())));
}

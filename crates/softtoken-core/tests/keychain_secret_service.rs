#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `KeychainStore<OsKeychain>` against a real Secret Service (gnome-keyring on Linux; the platform keychain
//! elsewhere).
//!
//! Without a reachable keychain these tests print "skipped: …" and pass, unless `SOFTTOKEN_REQUIRE_KEYCHAIN=1`,
//! which turns an unreachable keychain into a failure (the project's test script sets it and starts a private
//! session bus with an unlocked gnome-keyring). Every test uses its own service name, so runs never collide, and
//! deletes what it stored, even when it fails.

use std::path::Path;
use std::process::Command;

use softtoken_core::store::file::FileStore;
use softtoken_core::store::keychain::{KeychainStore, OsKeychain, SecretBackend};
use softtoken_core::{NewToken, OtpKind, Params, Seed, TokenStore};

const RFC_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const RFC_RAW: &[u8] = b"12345678901234567890";
const HELLO_B32: &str = "JBSWY3DPEHPK3PXP";
const NOW: u64 = 1_700_000_000;

/// A service name no other test or run uses.
fn unique_service(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("softtoken-test-{test}-{}-{nanos:x}", std::process::id())
}

/// Connects to the keychain, or returns `None` (after saying so) when there is none and none is required.
fn keychain(service: &str) -> Option<OsKeychain> {
    let required = std::env::var("SOFTTOKEN_REQUIRE_KEYCHAIN").as_deref() == Ok("1");
    match OsKeychain::new(service).and_then(|k| k.probe().map(|()| k)) {
        Ok(k) => Some(k),
        Err(e) if required => panic!(
            "SOFTTOKEN_REQUIRE_KEYCHAIN=1 but the keychain is not available: {e} [{}] \
             (start a session bus with an unlocked gnome-keyring, as ./x test does)",
            e.code()
        ),
        Err(e) => {
            println!("skipped: no Secret Service (run under ./x test): {e}");
            None
        }
    }
}

/// Deletes the named entries of a service when dropped, so a failing test leaves nothing behind.
struct Cleanup {
    service: String,
    names: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Ok(k) = OsKeychain::new(&self.service) {
            for name in &self.names {
                let _ = k.delete(name);
            }
        }
    }
}

fn totp(issuer: &str, account: &str, serial: Option<&str>, b32: &str) -> NewToken {
    NewToken {
        issuer: Some(issuer.to_string()),
        account: account.to_string(),
        serial: serial.map(str::to_string),
        kind: OtpKind::Totp {
            period: softtoken_core::Period::THIRTY,
        },
        params: Params::default(),
        seed: Seed::from_base32(b32).unwrap(),
    }
}

fn hotp(issuer: &str, account: &str) -> NewToken {
    NewToken {
        kind: OtpKind::Hotp { counter: 0 },
        ..totp(issuer, account, None, RFC_B32)
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `secret-tool search --all service SERVICE` (libsecret-tools), or `None` if secret-tool is not installed.
fn secret_tool_search(service: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", service])
        .output()
        .ok()?;
    // secret-tool prints the items' attributes on stdout or stderr depending on its version; it exits 1 when
    // nothing matches.
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Some(text)
}

#[test]
fn tokens_survive_a_new_store_on_the_same_index() {
    let service = unique_service("reopen");
    let Some(os) = keychain(&service) else { return };
    let mut cleanup = Cleanup {
        service: service.clone(),
        names: Vec::new(),
    };
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index.json");

    let mut store = KeychainStore::new(&index, os);
    let a = store
        .add(
            totp("しんきん銀行", "山田太郎", Some("SKTN12345671"), RFC_B32),
            NOW,
        )
        .unwrap();
    cleanup.names.push(a.id.clone());
    let b = store.add(hotp("Shinkin", "hanako"), NOW + 1).unwrap();
    cleanup.names.push(b.id.clone());
    assert_eq!(store.list().unwrap(), vec![a.clone(), b.clone()]);
    drop(store);

    // A new connection and a new store over the same index.
    let mut store = KeychainStore::new(&index, keychain(&service).unwrap());
    assert_eq!(store.list().unwrap(), vec![a.clone(), b.clone()]);
    assert!(store
        .seed(&a.id)
        .unwrap()
        .ct_eq(&Seed::from_base32(RFC_B32).unwrap()));
    assert!(store
        .seed(&b.id)
        .unwrap()
        .ct_eq(&Seed::from_base32(RFC_B32).unwrap()));
    assert_eq!(
        store.load("SKTN 1234 5671").unwrap().code_at(59).as_str(),
        "287082"
    );
    assert_eq!(
        store
            .load("しんきん銀行")
            .unwrap()
            .code_at(1_111_111_109)
            .as_str(),
        "081804"
    );
    // HOTP (RFC 4226 Appendix D): the counter is kept in the index across stores.
    assert_eq!(
        store.next_code("Shinkin:hanako", NOW).unwrap().1.as_str(),
        "755224"
    );
    let store = KeychainStore::new(&index, keychain(&service).unwrap());
    assert_eq!(store.find("hanako").unwrap().kind, OtpKind::Hotp { counter: 1 });
    let mut store = store;
    assert_eq!(store.next_code("hanako", NOW).unwrap().1.as_str(), "287082");

    for t in [&a, &b] {
        store.remove(&t.id).unwrap();
    }
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn remove_deletes_the_keychain_entry() {
    let service = unique_service("remove");
    let Some(os) = keychain(&service) else { return };
    let mut cleanup = Cleanup {
        service: service.clone(),
        names: Vec::new(),
    };
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index.json");

    let mut store = KeychainStore::new(&index, os);
    let a = store
        .add(totp("Shinkin", "taro", Some("SKTN12345671"), RFC_B32), NOW)
        .unwrap();
    cleanup.names.push(a.id.clone());
    let b = store
        .add(totp("Shinkin", "hanako", None, HELLO_B32), NOW)
        .unwrap();
    cleanup.names.push(b.id.clone());

    // The seed is in the keychain under (service, token id), as raw bytes.
    let direct = keychain(&service).unwrap();
    assert_eq!(
        direct.get(&a.id).unwrap().as_deref().map(Vec::as_slice),
        Some(RFC_RAW)
    );
    let listed = secret_tool_search(&service);
    if let Some(text) = &listed {
        assert!(
            text.contains(&a.id) && text.contains(&b.id),
            "secret-tool does not list the entries: {text}"
        );
    } else {
        println!("note: secret-tool is not installed (apt-get install libsecret-tools); checked with OsKeychain only");
    }

    store.remove(&a.id).unwrap();
    assert_eq!(
        direct.get(&a.id).unwrap().as_deref().map(Vec::as_slice),
        None,
        "the seed is still in the keychain"
    );
    assert!(
        direct.get(&b.id).unwrap().is_some(),
        "the other token's seed was deleted"
    );
    assert_eq!(store.list().unwrap(), vec![b.clone()]);
    if let Some(text) = secret_tool_search(&service) {
        assert!(
            !text.contains(&a.id),
            "secret-tool still finds the removed entry: {text}"
        );
        assert!(text.contains(&b.id), "secret-tool lost the other entry: {text}");
    }

    store.remove(&b.id).unwrap();
    assert!(direct.get(&b.id).unwrap().is_none());
    if let Some(text) = secret_tool_search(&service) {
        assert!(!text.contains(&b.id), "{text}");
    }
}

#[test]
fn the_index_file_never_holds_a_seed() {
    let service = unique_service("index");
    let Some(os) = keychain(&service) else { return };
    let mut cleanup = Cleanup {
        service: service.clone(),
        names: Vec::new(),
    };
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index.json");

    let mut store = KeychainStore::new(&index, os);
    let a = store
        .add(totp("Shinkin", "taro", Some("SKTN12345671"), RFC_B32), NOW)
        .unwrap();
    cleanup.names.push(a.id.clone());
    let b = store
        .add(totp("Shinkin", "hanako", None, HELLO_B32), NOW)
        .unwrap();
    cleanup.names.push(b.id.clone());
    store.next_code("taro", NOW).unwrap();

    let bytes = std::fs::read(&index).unwrap();
    assert!(
        contains(&bytes, a.id.as_bytes()) && contains(&bytes, b"SKTN12345671"),
        "not the index?"
    );
    let hello_raw = Seed::from_base32(HELLO_B32).unwrap();
    for (what, needle) in [
        ("RFC seed, base32", RFC_B32.as_bytes().to_vec()),
        ("RFC seed, base32 lower case", RFC_B32.to_lowercase().into_bytes()),
        ("RFC seed, raw", RFC_RAW.to_vec()),
        ("second seed, base32", HELLO_B32.as_bytes().to_vec()),
        ("second seed, raw", hello_raw.expose().to_vec()),
    ] {
        assert!(!contains(&bytes, &needle), "the index holds the {what}");
    }
    assert_no_files_but(dir.path(), "index.json");
    assert!(!format!("{store:?}").contains(RFC_B32));

    for t in [&a, &b] {
        store.remove(&t.id).unwrap();
    }
}

/// Only `name` and its (empty) lock file are in `dir`.
fn assert_no_files_but(dir: &Path, name: &str) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let lock = format!("{name}.lock");
    assert_eq!(
        names,
        [name.to_string(), lock.clone()],
        "stray files beside the index"
    );
    assert_eq!(
        std::fs::metadata(dir.join(&lock)).unwrap().len(),
        0,
        "the lock file is empty"
    );
}

#[test]
fn secrets_round_trip_byte_for_byte() {
    let service = unique_service("bytes");
    let Some(os) = keychain(&service) else { return };
    let _cleanup = Cleanup {
        service: service.clone(),
        names: vec!["binary".into(), "never-set".into()],
    };
    // Not UTF-8, with NUL bytes: a vault key or seed is arbitrary bytes.
    let secret: Vec<u8> = (0u8..=255).rev().chain([0, 0, 0xff]).collect();
    os.set("binary", &secret).unwrap();
    assert_eq!(os.get("binary").unwrap().as_deref(), Some(&secret));
    os.set("binary", b"replaced").unwrap();
    assert_eq!(
        os.get("binary").unwrap().as_deref().map(Vec::as_slice),
        Some(&b"replaced"[..])
    );
    os.delete("binary").unwrap();
    assert!(os.get("binary").unwrap().is_none());
    // Deleting what is not there is not an error.
    os.delete("never-set").unwrap();
    // Another service does not see this one's entries.
    os.set("binary", b"mine").unwrap();
    let other_service = unique_service("bytes-other");
    let other = keychain(&other_service).unwrap();
    assert!(other.get("binary").unwrap().is_none());
    os.delete("binary").unwrap();
}

#[test]
fn file_store_with_its_key_in_the_keychain() {
    let service = unique_service("vault-key");
    let Some(os) = keychain(&service) else { return };
    let _cleanup = Cleanup {
        service: service.clone(),
        names: vec!["vault-key".into()],
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.vault");

    let mut store = FileStore::open_with_keychain_key(&path, &os, "vault-key").unwrap();
    let a = store
        .add(totp("Shinkin", "taro", Some("SKTN12345671"), RFC_B32), NOW)
        .unwrap();
    assert_eq!(os.get("vault-key").unwrap().map(|k| k.len()), Some(32));
    drop(store);
    let store = FileStore::open_with_keychain_key(&path, &keychain(&service).unwrap(), "vault-key").unwrap();
    assert_eq!(store.list().unwrap(), vec![a]);
    assert_eq!(store.load("taro").unwrap().code_at(59).as_str(), "287082");
    let bytes = std::fs::read(&path).unwrap();
    assert!(!contains(&bytes, RFC_B32.as_bytes()) && !contains(&bytes, RFC_RAW));
    // Without the key the vault cannot be opened.
    os.delete("vault-key").unwrap();
    assert_eq!(
        FileStore::open_with_keychain_key(&path, &os, "vault-key")
            .unwrap_err()
            .code(),
        "keychain"
    );
}

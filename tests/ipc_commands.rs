//! The app's commands are named in several places. src-tauri/ipc_commands.rs is the one list (build.rs makes the
//! permissions from it); this test holds the others to it and names the command that one of them lacks or has in
//! excess: the `#[tauri::command]` functions, `generate_handler!` in lib.rs, the capabilities, the startup-bench
//! permission file, the UI's typed wrappers (ui/src/ipc.ts) and the dev mock (ui/dev/mock.ts).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;

include!("../src-tauri/ipc_commands.rs");

type Names = BTreeSet<String>;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn names(list: &[&str]) -> Names {
    list.iter().map(|s| s.to_string()).collect()
}

/// Fails naming every command in `want` that `place` lacks, and every one it has beyond `want`.
fn same(place: &str, got: &Names, want: &Names) {
    let missing: Vec<_> = want.difference(got).collect();
    let extra: Vec<_> = got.difference(want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{place} disagrees with src-tauri/ipc_commands.rs: missing {missing:?}, not in the list {extra:?}"
    );
}

/// Every `"..."` literal that directly follows `prefix` in `text`.
fn quoted_after(text: &str, prefix: &str) -> Names {
    text.match_indices(prefix)
        .filter_map(|(i, _)| {
            let rest = &text[i + prefix.len()..];
            rest.find('"').map(|end| rest[..end].to_string())
        })
        .collect()
}

/// The function named below each line that is `#[tauri::command]` (attributes and doc lines may come between).
fn command_fns(text: &str) -> Names {
    let mut found = Names::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line != "#[tauri::command]" {
            continue;
        }
        let def = lines
            .find(|l| !l.starts_with('#') && !l.starts_with("//"))
            .unwrap_or_default();
        let after_fn = def
            .split_once("fn ")
            .unwrap_or_else(|| panic!("no fn after #[tauri::command]: {def}"))
            .1;
        found.insert(
            after_fn
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect(),
        );
    }
    found
}

/// The handler's entries: (name, behind `cfg(feature = "startup-bench")`).
fn handler(lib_rs: &str) -> (Names, Names) {
    let start = lib_rs
        .find("generate_handler![")
        .expect("generate_handler! in lib.rs")
        + "generate_handler![".len();
    let (mut always, mut bench) = (Names::new(), Names::new());
    let mut gated = false;
    for line in lib_rs[start..].lines().map(str::trim) {
        if line.starts_with(']') {
            return (always, bench);
        }
        if line.is_empty() {
            continue;
        }
        if line.starts_with("#[cfg(") {
            assert_eq!(
                line, "#[cfg(feature = \"startup-bench\")]",
                "lib.rs: a command behind another cfg"
            );
            gated = true;
            continue;
        }
        let path = line.trim_end_matches(',');
        let name = path.rsplit("::").next().unwrap_or(path).to_string();
        if gated { &mut bench } else { &mut always }.insert(name);
        gated = false;
    }
    panic!("lib.rs: generate_handler![ is not closed on a line of its own");
}

/// `allow-<kebab-case>` permissions of a capability file, as command names.
fn capability(rel: &str) -> Names {
    let json: serde_json::Value = serde_json::from_str(&read(rel)).unwrap();
    json["permissions"]
        .as_array()
        .unwrap_or_else(|| panic!("{rel}: no permissions"))
        .iter()
        .map(|p| {
            let p = p.as_str().unwrap_or_else(|| panic!("{rel}: {p} is not a name"));
            p.strip_prefix("allow-")
                .unwrap_or_else(|| panic!("{rel}: {p} is not an app command's permission"))
                .replace('-', "_")
        })
        .collect()
}

/// The commands a hand-written permission file allows.
fn permission_file(rel: &str) -> Names {
    let doc: toml::Table = read(rel).parse().unwrap_or_else(|e| panic!("{rel}: {e}"));
    doc["permission"]
        .as_array()
        .unwrap_or_else(|| panic!("{rel}: no [[permission]]"))
        .iter()
        .flat_map(|p| p["commands"]["allow"].as_array().cloned().unwrap_or_default())
        .map(|c| c.as_str().unwrap_or_else(|| panic!("{rel}: {c}")).to_string())
        .collect()
}

#[test]
fn every_place_names_the_listed_commands() {
    let always = names(COMMANDS);
    let bench = names(STARTUP_BENCH_COMMANDS);
    let all: Names = always.union(&bench).cloned().collect();
    assert_eq!(always.len() + bench.len(), all.len(), "a command in both lists");

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/src/commands");
    let fns: Names = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .flat_map(|text| command_fns(&text))
        .collect();
    same("the #[tauri::command] fns in src-tauri/src/commands/", &fns, &all);

    let (handled, handled_bench) = handler(&read("src-tauri/src/lib.rs"));
    same("generate_handler! in src-tauri/src/lib.rs", &handled, &always);
    same(
        "generate_handler!'s startup-bench entries in src-tauri/src/lib.rs",
        &handled_bench,
        &bench,
    );

    same(
        "src-tauri/capabilities/main.json",
        &capability("src-tauri/capabilities/main.json"),
        &always,
    );
    same(
        "src-tauri/permissions/startup-bench/first-paint.toml",
        &permission_file("src-tauri/permissions/startup-bench/first-paint.toml"),
        &bench,
    );
    same(
        "src-tauri/capabilities/startup-bench/first-paint.json",
        &capability("src-tauri/capabilities/startup-bench/first-paint.json"),
        &bench,
    );

    same(
        "ui/src/ipc.ts (call<…>(\"name\"))",
        &quoted_after(&read("ui/src/ipc.ts"), ">(\""),
        &all,
    );
    same(
        "ui/dev/mock.ts (case \"name\":)",
        &quoted_after(&read("ui/dev/mock.ts"), "case \""),
        &all,
    );
}

#[test]
fn the_readers_find_what_they_look_for() {
    // Guards the test above against readers that find nothing (and so agree with an empty list).
    let (always, bench) =
        handler("generate_handler![\n a::one,\n #[cfg(feature = \"startup-bench\")]\n b::two,\n c::three\n]");
    assert_eq!(always, names(&["one", "three"]));
    assert_eq!(bench, names(&["two"]));
    assert_eq!(
        command_fns(
            "//! the `#[tauri::command]`s\n#[tauri::command]\npub async fn add_uri(x: u8) {}\n\
             #[tauri::command]\n#[allow(clippy::x)]\nfn codes() {}"
        ),
        names(&["add_uri", "codes"])
    );
    assert_eq!(
        quoted_after("call<T>(\"a_b\"); call<void>(\"c\", { x })", ">(\""),
        names(&["a_b", "c"])
    );
}

/// The commands that the app lock lets through are commands, and only those a locked app needs.
#[test]
fn the_lock_lets_through_only_what_the_lock_screen_needs() {
    for cmd in OPEN_WHILE_LOCKED {
        assert!(
            COMMANDS.contains(cmd) || STARTUP_BENCH_COMMANDS.contains(cmd),
            "{cmd} in OPEN_WHILE_LOCKED is not a command"
        );
    }
    assert_eq!(
        names(OPEN_WHILE_LOCKED),
        names(&["app_state", "unlock_app", "first_paint"]),
        "a command that answers while the app is locked is a decision for the lock's review (src-tauri/src/applock.rs)"
    );
}

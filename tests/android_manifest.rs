//! The Android project (gen/android, from `tauri android init`) keeps what a bank token needs on a phone: no backup
//! and no device-to-device transfer, only the permissions the app uses, the softtoken://activate link, and
//! FLAG_SECURE on the activity. The APK itself is built on the GitHub runner (.github/workflows/mobile.yml); these
//! are the project's own files, checked here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

const MAIN: &str = "gen/android/app/src/main";

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One element as the test sees it: its name, its attributes, and the names of the elements it sits in.
#[derive(Debug)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    parents: Vec<String>,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn element(e: &BytesStart<'_>, parents: &[String]) -> Element {
    Element {
        name: e.name().as_ref().to_owned(),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    a.key.as_ref().to_owned(),
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap()
                        .into_owned(),
                )
            })
            .collect(),
        parents: parents.to_vec(),
    }
}

/// Every element of an XML document, in document order.
fn elements(xml: &str) -> Vec<Element> {
    let mut reader = Reader::from_str(xml);
    let (mut out, mut stack) = (Vec::new(), Vec::<String>::new());
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                let el = element(&e, &stack);
                stack.push(el.name.clone());
                out.push(el);
            }
            Event::Empty(e) => out.push(element(&e, &stack)),
            Event::End(_) => {
                stack.pop();
            }
            Event::Eof => return out,
            _ => {}
        }
    }
}

fn manifest() -> Vec<Element> {
    elements(&read(&format!("{MAIN}/AndroidManifest.xml")))
}

#[test]
fn no_backup_and_no_device_transfer() {
    let m = manifest();
    let app = m.iter().find(|e| e.name == "application").unwrap();
    assert_eq!(app.attr("android:allowBackup"), Some("false"));
    assert_eq!(app.attr("android:fullBackupContent"), Some("false"));
    let rules = app
        .attr("android:dataExtractionRules")
        .expect("android:dataExtractionRules (Android 12+)");
    let file = rules.strip_prefix("@xml/").expect("an @xml/ resource");
    let rules = elements(&read(&format!("{MAIN}/res/xml/{file}.xml")));
    // Every domain excluded, whole, from both the cloud backup and the device-to-device transfer; nothing included.
    let domains = [
        "root",
        "file",
        "database",
        "sharedpref",
        "external",
        "device_root",
        "device_file",
        "device_database",
        "device_sharedpref",
    ];
    for section in ["cloud-backup", "device-transfer"] {
        let excluded: BTreeSet<&str> = rules
            .iter()
            .filter(|e| e.name == "exclude" && e.parents.last().map(String::as_str) == Some(section))
            .inspect(|e| assert_eq!(e.attr("path"), Some("."), "{section}: a partial exclude"))
            .filter_map(|e| e.attr("domain"))
            .collect();
        assert_eq!(
            excluded,
            domains.into_iter().collect(),
            "{section}: not every domain excluded"
        );
        assert!(
            rules.iter().filter(|e| e.name == section).count() == 1,
            "{section} once"
        );
    }
    assert!(
        !rules.iter().any(|e| e.name == "include"),
        "a data-extraction rule includes something"
    );
}

#[test]
fn only_the_permissions_the_app_uses() {
    let m = manifest();
    let permissions: BTreeSet<String> = m
        .iter()
        .filter(|e| e.name.starts_with("uses-permission") && e.attr("tools:node") != Some("remove"))
        .map(|e| e.attr("android:name").unwrap().to_string())
        .collect();
    // What a plugin's library adds and the app does not use is removed from the merged manifest.
    let removed: BTreeSet<&str> = m
        .iter()
        .filter(|e| e.name == "uses-permission" && e.attr("tools:node") == Some("remove"))
        .filter_map(|e| e.attr("android:name"))
        .collect();
    assert_eq!(removed, BTreeSet::from(["android.permission.VIBRATE"]));
    // The camera is optional hardware, also against the scanner library's required camera.any.
    for feature in ["android.hardware.camera", "android.hardware.camera.any"] {
        let f = m
            .iter()
            .find(|e| e.name == "uses-feature" && e.attr("android:name") == Some(feature))
            .unwrap_or_else(|| panic!("no uses-feature {feature}"));
        assert_eq!(f.attr("android:required"), Some("false"), "{feature}");
    }
    let want: BTreeSet<String> = [
        "android.permission.INTERNET",
        "android.permission.CAMERA",
        "android.permission.USE_BIOMETRIC",
    ]
    .map(String::from)
    .into();
    assert_eq!(permissions, want);
}

#[test]
fn activation_links_open_the_app() {
    let m = manifest();
    // The elements inside the main activity's intent filters, grouped per filter.
    let mut filters: Vec<Vec<&Element>> = Vec::new();
    for e in &m {
        if e.name == "intent-filter" && e.parents.ends_with(&["application".into(), "activity".into()]) {
            filters.push(Vec::new());
        } else if e.parents.last().map(String::as_str) == Some("intent-filter") {
            filters.last_mut().expect("inside a filter").push(e);
        }
    }
    let opens_activation = filters.iter().any(|f| {
        let has = |name: &str, value: &str| {
            f.iter()
                .any(|e| e.name == name && e.attr("android:name") == Some(value))
        };
        has("action", "android.intent.action.VIEW")
            && has("category", "android.intent.category.DEFAULT")
            && has("category", "android.intent.category.BROWSABLE")
            && f.iter().any(|e| {
                e.name == "data"
                    && e.attr("android:scheme") == Some("softtoken")
                    && e.attr("android:host") == Some("activate")
            })
    });
    assert!(
        opens_activation,
        "no VIEW/BROWSABLE intent filter for softtoken://activate"
    );
    let activity = m.iter().find(|e| e.name == "activity").unwrap();
    assert_eq!(activity.attr("android:launchMode"), Some("singleTask"));
}

#[test]
fn the_activity_is_flag_secure_before_it_shows_anything() {
    let kt = read(&format!("{MAIN}/java/jp/softtoken/app/MainActivity.kt"));
    let secure = kt
        .find(
            "window.setFlags(WindowManager.LayoutParams.FLAG_SECURE, WindowManager.LayoutParams.FLAG_SECURE)",
        )
        .expect("FLAG_SECURE set in MainActivity");
    let create = kt
        .find("super.onCreate(")
        .expect("MainActivity.onCreate calls super.onCreate");
    assert!(secure < create, "FLAG_SECURE after super.onCreate");
}

#[test]
fn the_gradle_build_runs_the_cli_that_x_installs() {
    let kt = read("gen/android/buildSrc/src/main/java/jp/softtoken/app/kotlin/BuildTask.kt");
    assert!(kt.contains("\"target/tauri-cli/node_modules/.bin/tauri\""));
    assert!(kt.contains("listOf(\"android\", \"android-studio-script\")"));
}

#[test]
fn the_reader_sees_nesting_and_attributes() {
    let e = elements("<a><b x=\"1\"/><c><d y=\"&amp;\"/></c></a>");
    let names: Vec<_> = e.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
    assert_eq!(e[3].parents, ["a", "c"]);
    assert_eq!(e[3].attr("y"), Some("&"));
    assert_eq!(e[1].attr("x"), Some("1"));
}

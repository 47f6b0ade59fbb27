//! The first paint's milestones, for the start-up benchmark (feature `startup-bench`, `./x bench-app`): where the
//! time from the process start to the first code on screen goes. The webview reports its marks (Unix ms of its
//! clock), Rust adds its own ([`Marks`]); [`Breakdown`] is a pure function of both.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::state::system_ms;

static PROCESS_START_MS: OnceLock<u64> = OnceLock::new();

/// The process's start in Unix ms: noted by the first call, which `run()` makes first thing.
pub fn process_start_ms() -> u64 {
    *PROCESS_START_MS.get_or_init(system_ms)
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// What Rust notes while the app starts, kept in the app's state.
#[derive(Debug)]
pub struct Marks {
    started_ms: u64,
    ready_ms: u64,
    keychain_probe_ms: u64,
    store_read_ms: OnceLock<u64>,
    painted: AtomicBool,
}

impl Marks {
    /// The app's state is ready now; opening and probing the keychain took `keychain_probe`.
    pub fn ready(keychain_probe: Duration) -> Marks {
        Marks {
            started_ms: process_start_ms(),
            ready_ms: system_ms(),
            keychain_probe_ms: ms(keychain_probe),
            store_read_ms: OnceLock::new(),
            painted: AtomicBool::new(false),
        }
    }

    /// The first read of the seeds from the store took `d` (later reads are not noted).
    pub fn store_read(&self, d: Duration) {
        let _ = self.store_read_ms.set(ms(d));
    }

    /// Rust's marks for the first paint; `None` when it was reported before.
    pub fn first_paint(&self) -> Option<Rust> {
        if self.painted.swap(true, Ordering::SeqCst) {
            return None;
        }
        Some(Rust {
            started_ms: self.started_ms,
            ready_ms: self.ready_ms,
            keychain_probe_ms: self.keychain_probe_ms,
            store_read_ms: self.store_read_ms.get().copied().unwrap_or(0),
        })
    }
}

/// What the webview reports with the first paint (Unix milliseconds; `None`: not reached).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaintMarks {
    /// The page's navigation start (`performance.timeOrigin`).
    pub page_start: f64,
    /// The UI's main script started running.
    pub script_start: Option<f64>,
    /// The code screen asked for the token list and the codes.
    pub codes_asked: Option<f64>,
    /// Both answers arrived.
    pub codes_answered: Option<f64>,
    /// Two animation frames after the codes were put in the DOM.
    pub painted: f64,
}

/// What Rust measured itself (Unix ms, and durations in ms).
#[derive(Debug, Clone, Copy)]
pub struct Rust {
    /// The process's start (the first line of `run()`).
    pub started_ms: u64,
    /// The app's state ready: Tauri and GTK started, the OS keychain opened and probed.
    pub ready_ms: u64,
    /// Of that: opening and probing the keychain.
    pub keychain_probe_ms: u64,
    /// The first read of the seeds from the store.
    pub store_read_ms: u64,
}

/// The start-up time split in its parts, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    /// Process start to the app's state ready: Tauri and GTK starting, the keychain probe.
    pub init: i64,
    /// Of `init`: opening and probing the OS keychain (a D-Bus round trip to the Secret Service).
    pub keychain_probe: i64,
    /// State ready to the page's navigation start: the window and WebKit's processes starting.
    pub webview: i64,
    /// Navigation start to the UI's script running: loading the page's HTML, CSS and JavaScript.
    pub page: i64,
    /// Script start to asking for the codes. The UI asks for them first thing, beside the app state, so this is
    /// only the script's own start.
    pub setup: i64,
    /// Asking for the token list and codes to the code screen having them: the IPC calls (the app state's too,
    /// which runs beside them), the store read and building the shell.
    pub codes: i64,
    /// Of `codes`: reading the seeds from the store (the Secret Service, or the vault).
    pub store_read: i64,
    /// The answers to the first code painted: building the DOM and two frames.
    pub render: i64,
    /// Process start to the first code painted.
    pub total: i64,
}

impl Breakdown {
    /// Splits the time from the process's start to `m.painted`. A missing mark counts as the one before it, so
    /// its part is 0.
    pub fn new(r: Rust, m: &PaintMarks) -> Breakdown {
        let start = r.started_ms as f64;
        let ready = r.ready_ms as f64;
        let script = m.script_start.unwrap_or(m.page_start);
        let asked = m.codes_asked.unwrap_or(script);
        let answered = m.codes_answered.unwrap_or(asked);
        let ms = |a: f64, b: f64| (b - a).round() as i64;
        let whole = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        Breakdown {
            init: ms(start, ready),
            keychain_probe: whole(r.keychain_probe_ms),
            webview: ms(ready, m.page_start),
            page: ms(m.page_start, script),
            setup: ms(script, asked),
            codes: ms(asked, answered),
            store_read: whole(r.store_read_ms),
            render: ms(answered, m.painted),
            total: ms(start, m.painted),
        }
    }
}

impl std::fmt::Display for Breakdown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ms: init {} (keychain probe {}), webview start {}, page load {}, UI setup {}, token list and \
             codes {} (store read {}), render {}",
            self.total,
            self.init,
            self.keychain_probe,
            self.webview,
            self.page,
            self.setup,
            self.codes,
            self.store_read,
            self.render
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_report_the_first_paint_once_with_the_first_store_read() {
        let marks = Marks::ready(Duration::from_millis(7));
        marks.store_read(Duration::from_millis(12));
        marks.store_read(Duration::from_millis(99));
        let r = marks.first_paint().unwrap();
        assert_eq!((r.keychain_probe_ms, r.store_read_ms), (7, 12));
        assert!(r.started_ms <= r.ready_ms);
        assert!(marks.first_paint().is_none());
    }

    #[test]
    fn parts_add_up_and_missing_marks_count_zero() {
        let m = PaintMarks {
            page_start: 1_000_250.0,
            script_start: Some(1_000_300.4),
            codes_asked: Some(1_000_320.0),
            codes_answered: Some(1_000_360.0),
            painted: 1_000_400.0,
        };
        let r = Rust {
            started_ms: 1_000_000,
            ready_ms: 1_000_100,
            keychain_probe_ms: 8,
            store_read_ms: 12,
        };
        let b = Breakdown::new(r, &m);
        assert_eq!(
            [
                b.init,
                b.keychain_probe,
                b.webview,
                b.page,
                b.setup,
                b.codes,
                b.store_read,
                b.render,
                b.total
            ],
            [100, 8, 150, 50, 20, 40, 12, 40, 400]
        );
        assert_eq!(
            b.init + b.webview + b.page + b.setup + b.codes + b.render,
            b.total
        );
        let partial = PaintMarks {
            script_start: None,
            codes_asked: None,
            ..m
        };
        let b = Breakdown::new(
            Rust {
                store_read_ms: 0,
                ..r
            },
            &partial,
        );
        assert_eq!([b.page, b.setup, b.codes, b.render], [0, 0, 110, 40]);
        assert_eq!(
            b.to_string(),
            "400 ms: init 100 (keychain probe 8), webview start 150, page load 0, UI setup 0, token list and codes \
             110 (store read 0), render 40"
        );
    }
}

//! Cross-checks TOTP and HOTP codes against an independent implementation: `oathtool` from the OATH Toolkit.
//!
//! The cases come from a seeded PRNG, so a failure is reproducible: the seed is printed, and
//! `SOFTTOKEN_OATHTOOL_SEED=<n>` replays it. Needs `oathtool` on PATH (`apt-get install oathtool`); without it the
//! tests fail, unless `SOFTTOKEN_SKIP_OATHTOOL=1` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt;
use std::io::ErrorKind;
use std::process::Command;

use softtoken_core::{Algorithm, Digits, Hotp, Params, Period, Seed, Totp};

const DEFAULT_SEED: u64 = 20_260_417;
const TOTP_CASES: usize = 400;
const HOTP_CASES: usize = 150;
/// Extra codes per oathtool invocation (`-w`): each case checks WINDOW + 1 consecutive steps or counters.
const WINDOW: u64 = 4;

/// SplitMix64: tiny, and its output for a given seed never changes, whatever version of `rand` is in the tree.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi` (the modulo bias is irrelevant here).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.next() as usize % items.len()]
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn rng_seed() -> u64 {
    match std::env::var("SOFTTOKEN_OATHTOOL_SEED") {
        Ok(s) => s.trim().parse().expect("SOFTTOKEN_OATHTOOL_SEED must be a u64"),
        Err(_) => DEFAULT_SEED,
    }
}

/// Whether to run: true if oathtool is there, false if it is missing and the skip variable is set; otherwise a
/// failure that says how to install it.
fn oathtool_available() -> bool {
    let skip = std::env::var("SOFTTOKEN_SKIP_OATHTOOL").is_ok_and(|v| v == "1");
    match Command::new("oathtool").arg("--version").output() {
        Ok(out) if out.status.success() => true,
        _ if skip => {
            println!("oathtool not found; skipped because SOFTTOKEN_SKIP_OATHTOOL=1");
            false
        }
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "oathtool is not installed: the cross-check needs it. Install it with `apt-get install oathtool` \
             (or set SOFTTOKEN_SKIP_OATHTOOL=1 to skip this test)"
        ),
        Err(e) => panic!("cannot run oathtool ({e}); install it with `apt-get install oathtool`, or set SOFTTOKEN_SKIP_OATHTOOL=1"),
        Ok(out) => panic!(
            "`oathtool --version` failed ({}): {}; reinstall it with `apt-get install oathtool`, or set SOFTTOKEN_SKIP_OATHTOOL=1",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs oathtool and returns its output lines (one code per line).
fn oathtool(args: &[String]) -> Vec<String> {
    let out = Command::new("oathtool")
        .args(args)
        .output()
        .expect("run oathtool");
    assert!(
        out.status.success(),
        "oathtool {} failed ({}): {}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("oathtool prints ASCII")
        .lines()
        .map(str::to_string)
        .collect()
}

/// One generated case, printable so that a failure says exactly what was computed.
struct Case {
    n: usize,
    key: Vec<u8>,
    algorithm: Algorithm,
    digits: u32,
    /// TOTP: (period, unix time); HOTP: counter.
    moving: Moving,
    args: Vec<String>,
}

enum Moving {
    Totp { period: u64, time: u64 },
    Hotp { counter: u64 },
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "case #{} (rng seed {}): key={} ({} bytes) {} digits={} ",
            self.n,
            rng_seed(),
            hex(&self.key),
            self.key.len(),
            self.algorithm,
            self.digits
        )?;
        match self.moving {
            Moving::Totp { period, time } => write!(f, "TOTP period={period} time={time}")?,
            Moving::Hotp { counter } => write!(f, "HOTP counter={counter}")?,
        }
        write!(f, "\n  reproduce: oathtool {}", self.args.join(" "))
    }
}

impl Case {
    /// Our seed, built from the lowercase base32 form so that the base32 codec is exercised as well.
    fn seed(&self) -> Seed {
        let raw = Seed::from_bytes(&self.key).unwrap();
        let b32 = raw.to_base32().to_ascii_lowercase();
        let seed = Seed::from_base32(&b32).unwrap();
        assert!(seed.ct_eq(&raw), "base32 round trip changed the seed: {self}");
        seed
    }

    fn params(&self) -> Params {
        Params {
            algorithm: self.algorithm,
            digits: Digits::new(self.digits).unwrap(),
        }
    }

    /// Compares our codes with oathtool's; returns a description of each mismatch.
    fn check(&self) -> Vec<String> {
        let theirs = oathtool(&self.args);
        let mut failures = Vec::new();
        if theirs.len() != WINDOW as usize + 1 {
            failures.push(format!(
                "{self}\n  oathtool printed {} lines, expected {}: {theirs:?}",
                theirs.len(),
                WINDOW + 1
            ));
            return failures;
        }
        let seed = self.seed();
        for (i, want) in (0u64..).zip(&theirs) {
            let (label, ours) = match self.moving {
                Moving::Totp { period, time } => {
                    let totp = Totp::new(&seed, self.params(), Period::new(period).unwrap());
                    let step = totp.step_at(time) + i;
                    let by_time = totp.code_at(time + i * period);
                    let by_step = totp.code_for_step(step);
                    if by_time != by_step {
                        failures.push(format!(
                            "{self}\n  code_at and code_for_step disagree at step {step}"
                        ));
                    }
                    (format!("step {step}"), by_step)
                }
                Moving::Hotp { counter } => {
                    let c = counter + i;
                    (format!("counter {c}"), Hotp::new(&seed, self.params()).code(c))
                }
            };
            if ours.as_str() != want {
                failures.push(format!(
                    "{self}\n  at {label}: softtoken {} != oathtool {want}",
                    ours.as_str()
                ));
            }
        }
        failures
    }
}

fn totp_case(rng: &mut SplitMix64, n: usize) -> Case {
    let len = rng.range(10, 64) as usize;
    let key = rng.bytes(len);
    let algorithm = rng.pick(&[Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512]);
    let digits = rng.pick(&[6, 7, 8]);
    let period = match rng.range(0, 2) {
        0 => 30,
        1 => 60,
        _ => rng.range(1, 300),
    };
    // Mostly anywhere up to 2^33 s (year 2242); sometimes near the epoch or a step boundary.
    let time = match rng.range(0, 9) {
        0 => rng.range(0, 3 * period),
        1 => rng.range(1, 1 << 22) * period - rng.range(0, 1),
        _ => rng.range(0, 1 << 33),
    };
    totp_case_with(n, key, algorithm, digits, period, time)
}

fn totp_case_with(n: usize, key: Vec<u8>, algorithm: Algorithm, digits: u32, period: u64, time: u64) -> Case {
    let args = vec![
        format!("--totp={algorithm}"),
        "-d".into(),
        digits.to_string(),
        "-s".into(),
        format!("{period}s"),
        "-N".into(),
        format!("@{time}"),
        "-w".into(),
        WINDOW.to_string(),
        hex(&key),
    ];
    Case {
        n,
        key,
        algorithm,
        digits,
        moving: Moving::Totp { period, time },
        args,
    }
}

fn hotp_case(rng: &mut SplitMix64, n: usize) -> Case {
    let len = rng.range(10, 64) as usize;
    let key = rng.bytes(len);
    let digits = rng.pick(&[6, 7, 8]);
    let counter = match rng.range(0, 3) {
        0 => rng.range(0, 1000),
        1 => rng.range(0, u64::from(u32::MAX) + 10),
        2 => rng.range(0, 1 << 48),
        // Near the top of the counter range, where a signed or 32-bit counter would break.
        _ => u64::MAX - WINDOW - rng.range(0, 1000),
    };
    // oathtool's HOTP mode is HMAC-SHA1 only (RFC 4226); the other hashes are covered by the TOTP cases.
    let args = vec![
        "-d".into(),
        digits.to_string(),
        "-c".into(),
        counter.to_string(),
        "-w".into(),
        WINDOW.to_string(),
        hex(&key),
    ];
    Case {
        n,
        key,
        algorithm: Algorithm::Sha1,
        digits,
        moving: Moving::Hotp { counter },
        args,
    }
}

fn run(cases: impl IntoIterator<Item = Case>) -> usize {
    let mut count = 0;
    let mut failures = Vec::new();
    for case in cases {
        failures.extend(case.check());
        count += 1;
    }
    for f in &failures {
        println!("MISMATCH {f}\n");
    }
    assert!(
        failures.is_empty(),
        "{} mismatches with oathtool in {count} cases; first:\n{}",
        failures.len(),
        failures[0]
    );
    count
}

#[test]
fn totp_matches_oathtool() {
    if !oathtool_available() {
        return;
    }
    let seed = rng_seed();
    println!("rng seed {seed} (replay with SOFTTOKEN_OATHTOOL_SEED={seed})");
    let mut rng = SplitMix64(seed);

    // Fixed edge cases first: the epoch, the largest time we generate, the shortest and longest keys and periods.
    let rfc20 = b"12345678901234567890".to_vec();
    let mut cases = vec![
        totp_case_with(0, rfc20.clone(), Algorithm::Sha1, 8, 30, 0),
        totp_case_with(0, rfc20.clone(), Algorithm::Sha1, 8, 30, 59),
        totp_case_with(0, rfc20.clone(), Algorithm::Sha512, 6, 1, (1 << 33) - 1),
        totp_case_with(0, rfc20, Algorithm::Sha256, 7, 86_400, 1 << 33),
        totp_case_with(0, vec![0; 10], Algorithm::Sha1, 6, 30, 1_700_000_000),
        totp_case_with(0, vec![0xff; 64], Algorithm::Sha512, 8, 300, 1_700_000_000),
        totp_case_with(0, vec![0xa5; 200], Algorithm::Sha256, 8, 30, 1_700_000_000),
    ];
    cases.extend((1..=TOTP_CASES).map(|n| totp_case(&mut rng, n)));
    let count = run(cases);
    assert!(count >= 300, "only {count} cases");
    println!("{count} TOTP cases x {} steps agree with oathtool", WINDOW + 1);
}

#[test]
fn hotp_matches_oathtool() {
    if !oathtool_available() {
        return;
    }
    let seed = rng_seed() ^ 0x4854_4F50; // a different stream from the TOTP test
    let mut rng = SplitMix64(seed);
    let mut cases = vec![
        // RFC 4226 Appendix D's key, counters 0..=4.
        Case {
            n: 0,
            key: b"12345678901234567890".to_vec(),
            algorithm: Algorithm::Sha1,
            digits: 6,
            moving: Moving::Hotp { counter: 0 },
            args: [
                "-d",
                "6",
                "-c",
                "0",
                "-w",
                &WINDOW.to_string(),
                &hex(b"12345678901234567890"),
            ]
            .map(String::from)
            .to_vec(),
        },
    ];
    cases.extend((1..=HOTP_CASES).map(|n| hotp_case(&mut rng, n)));
    let count = run(cases);
    println!("{count} HOTP cases x {} counters agree with oathtool", WINDOW + 1);
}

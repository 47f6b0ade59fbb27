//! The RFC 4226 and RFC 6238 test vectors, one test per file under `tests/vectors/` (see its README.md for the
//! format and provenance). Run with `harness = false` by datatest-stable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use softtoken_core::{Algorithm, Code, Digits, Hotp, Params, Period, Seed, Totp};

type TestResult = datatest_stable::Result<()>;

const KEYS: &[&str] = &[
    "kind",
    "algorithm",
    "seed_ascii",
    "seed_hex",
    "digits",
    "period",
    "time",
    "counter",
    "expected",
];

/// The `key = value` lines of a vector file.
struct Vector {
    fields: BTreeMap<String, String>,
}

impl Vector {
    fn parse(text: &str) -> Result<Vector, String> {
        let mut fields = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| format!("line {}: expected `key = value`", n + 1))?;
            let (k, v) = (k.trim(), v.trim());
            if !KEYS.contains(&k) {
                return Err(format!("line {}: unknown key '{k}'", n + 1));
            }
            if fields.insert(k.to_string(), v.to_string()).is_some() {
                return Err(format!("line {}: key '{k}' given twice", n + 1));
            }
        }
        Ok(Vector { fields })
    }

    fn get(&self, key: &str) -> Result<&str, String> {
        self.fields
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| format!("missing key '{key}'"))
    }

    fn number(&self, key: &str) -> Result<u64, String> {
        self.get(key)?
            .parse()
            .map_err(|e| format!("'{key}' is not a number: {e}"))
    }

    fn seed(&self) -> Result<Seed, Box<dyn std::error::Error>> {
        let bytes = match (self.fields.get("seed_ascii"), self.fields.get("seed_hex")) {
            (Some(a), None) => a.as_bytes().to_vec(),
            (None, Some(h)) => decode_hex(h)?,
            _ => return Err("give exactly one of seed_ascii and seed_hex".into()),
        };
        Ok(Seed::from_bytes(&bytes)?)
    }

    fn params(&self) -> Result<Params, Box<dyn std::error::Error>> {
        let algorithm: Algorithm = self.get("algorithm")?.parse()?;
        let digits = Digits::new(u32::try_from(self.number("digits")?)?)?;
        Ok(Params { algorithm, digits })
    }

    /// Fails on keys that the vector's kind does not use.
    fn only(&self, allowed: &[&str]) -> Result<(), String> {
        match self.fields.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(format!(
                "key '{k}' does not belong in a {} vector",
                self.fields["kind"]
            )),
            None => Ok(()),
        }
    }
}

fn decode_hex(h: &str) -> Result<Vec<u8>, String> {
    if !h.len().is_multiple_of(2) {
        return Err("odd-length seed_hex".into());
    }
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).map_err(|e| format!("bad seed_hex: {e}")))
        .collect()
}

fn check(path: &Path, text: String) -> TestResult {
    let v = Vector::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let seed = v.seed()?;
    let params = v.params()?;
    let expected_str = v.get("expected")?;
    if expected_str.len() != params.digits.get() as usize {
        return Err(format!(
            "expected '{expected_str}' does not have {} digits",
            params.digits.get()
        )
        .into());
    }
    let expected = Code::parse(expected_str, params.digits)?;

    match v.get("kind")? {
        "totp" => {
            v.only(&[
                "kind",
                "algorithm",
                "seed_ascii",
                "seed_hex",
                "digits",
                "period",
                "time",
                "expected",
            ])?;
            let period = Period::new(v.number("period")?)?;
            let time = v.number("time")?;
            let totp = Totp::new(&seed, params, period);
            let step = time / period.seconds();
            assert_eq!(totp.step_at(time), step, "step at {time}");

            let got = totp.code_at(time);
            assert_eq!(
                got.as_str(),
                expected.as_str(),
                "TOTP {} at t={time}",
                params.algorithm
            );
            assert_eq!(
                totp.code_for_step(step).as_str(),
                expected.as_str(),
                "code_for_step({step})"
            );
            // Every second of the same step shows the same code.
            let start = step * period.seconds();
            assert_eq!(
                totp.code_at(start).as_str(),
                expected.as_str(),
                "start of step {step}"
            );
            assert_eq!(
                totp.code_at(start + period.seconds() - 1).as_str(),
                expected.as_str(),
                "end of step {step}"
            );

            // verify() names the step that matched, with and without a window, and from a neighbouring step.
            assert_eq!(totp.verify(&expected, time, 0), Some(step), "verify, window 0");
            assert_eq!(totp.verify(&expected, time, 1), Some(step), "verify, window 1");
            assert_eq!(
                totp.verify(&expected, time + period.seconds(), 1),
                Some(step),
                "verify one step later"
            );
            assert_eq!(
                totp.verify(&expected, time + 2 * period.seconds(), 1),
                None,
                "two steps later, window 1"
            );
            if let Some(earlier) = time.checked_sub(period.seconds()) {
                assert_eq!(
                    totp.verify(&expected, earlier, 1),
                    Some(step),
                    "verify one step earlier"
                );
            }
        }
        "hotp" => {
            v.only(&[
                "kind",
                "algorithm",
                "seed_ascii",
                "seed_hex",
                "digits",
                "counter",
                "expected",
            ])?;
            let counter = v.number("counter")?;
            let hotp = Hotp::new(&seed, params);
            assert_eq!(
                hotp.code(counter).as_str(),
                expected.as_str(),
                "HOTP counter {counter}"
            );

            assert_eq!(
                hotp.verify(&expected, counter, 0),
                Some(counter),
                "verify, no look-ahead"
            );
            assert_eq!(
                hotp.verify(&expected, 0, counter + 3),
                Some(counter),
                "verify from 0 with look-ahead"
            );
            assert_eq!(
                hotp.verify(&expected, counter + 1, 10),
                None,
                "a used counter is not accepted again"
            );
        }
        other => return Err(format!("unknown kind '{other}'").into()),
    }
    Ok(())
}

datatest_stable::harness! {
    {
        test = check,
        root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors"),
        pattern = r"^rfc(4226|6238)/[^/]+\.txt$",
    },
}

//! Load generator for `POST /v1/validate` (bench/server-load.sh runs it). It imports N TOTP tokens with known
//! seeds through the PSKC endpoint, assigns token i to load-test contract 2000000000+i (`softtoken-server
//! demo-data --load-customers N` creates them: a contract has one token in use), then runs C concurrent clients for D
//! seconds. In `valid` mode every request carries a fresh, correct code (each token is used at most once per
//! time step, so every request is a real accept: lookup, unseal, HMAC window, compare-and-set, audit row); in
//! `wrong` mode every request carries a wrong code (lookup, unseal, HMAC window, failure count, audit row). `time`
//! mode asks `GET /v1/time` instead, which touches no database: the floor of the HTTP round trip on this machine.
//! Prints requests/s and latency percentiles as one JSON line.
//!
//! By default each client sends its next request as soon as the last is answered (a closed loop: the server is
//! saturated, and the mean latency is C / throughput). With `--rate R` the C clients together offer R requests a
//! second on a fixed schedule (an open loop, like wrk2): request n of a client is due at its start + n·C/R, and
//! its latency is counted from when it was due, not from when it went out, so a server that falls behind is
//! charged for the queue it causes (no coordinated omission). A request's latency ends when its whole answer is read.
//!
//! The clients share one thread (`--threads N` for more): on the two cores it shares with the server, the load
//! generator should take as little CPU as it can. Each client has one HTTP/1.1 connection of its own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    missing_docs
)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::json;
use softtoken_core::{Params, Period, Seed, Serial, Totp};

struct Opts {
    url: String,
    api_token: String,
    /// For the set-up (import and assign): `--admin-token-file`, else the `admin-token` beside the API token.
    admin_token: String,
    tokens: usize,
    concurrency: usize,
    duration: u64,
    period: u64,
    mode: String,
    prefix: String,
    /// Offered requests per second in all (open loop); `None`: closed loop.
    rate: Option<f64>,
    /// Threads of the load generator's runtime (1: all clients on one thread).
    threads: usize,
}

fn opts() -> Opts {
    let mut o = Opts {
        url: "http://127.0.0.1:8787".into(),
        api_token: String::new(),
        admin_token: String::new(),
        tokens: 8000,
        concurrency: 64,
        duration: 20,
        period: 1,
        mode: "valid".into(),
        prefix: "LOAD".into(),
        rate: None,
        threads: 1,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--url" => o.url = v,
            "--api-token-file" => {
                o.api_token = std::fs::read_to_string(&v).unwrap().trim().to_string();
                if o.admin_token.is_empty() {
                    let beside = std::path::Path::new(&v).with_file_name("admin-token");
                    o.admin_token = std::fs::read_to_string(beside)
                        .unwrap_or_default()
                        .trim()
                        .to_string();
                }
            }
            "--admin-token-file" => o.admin_token = std::fs::read_to_string(&v).unwrap().trim().to_string(),
            "--tokens" => o.tokens = v.parse().unwrap(),
            "--concurrency" => o.concurrency = v.parse().unwrap(),
            "--duration" => o.duration = v.parse().unwrap(),
            "--period" => o.period = v.parse().unwrap(),
            "--mode" => o.mode = v,
            "--prefix" => o.prefix = v,
            "--rate" => o.rate = Some(v.parse().unwrap()),
            "--threads" => o.threads = v.parse().unwrap(),
            "--bench" => {
                i += 1;
                continue;
            }
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    o
}

fn seed_of(i: usize) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(format!("softtoken-load-{i}").as_bytes())[..20].to_vec()
}

fn pskc(prefix: &str, from: usize, to: usize, period: u64) -> String {
    let mut x = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">"#,
    );
    for i in from..to {
        let serial = Serial::new(prefix, u32::try_from(i).unwrap()).unwrap();
        let b64 = data_encoding::BASE64.encode(&seed_of(i));
        x.push_str(&format!(
            r#"<KeyPackage><DeviceInfo><SerialNo>{}</SerialNo></DeviceInfo><Key Id="k{i}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters><Data><Secret><PlainValue>{b64}</PlainValue></Secret><TimeInterval><PlainValue>{period}</PlainValue></TimeInterval></Data></Key></KeyPackage>"#,
            serial.as_str()
        ));
    }
    x.push_str("</KeyContainer>");
    x
}

/// The fields of an answer that the run checks: `valid` of `POST /v1/validate`, `time` of `GET /v1/time`.
#[derive(Deserialize)]
struct Answer {
    valid: Option<bool>,
    time: Option<serde::de::IgnoredAny>,
}

/// One HTTP/1.1 connection to `addr`, its driver running as a task of its own; `None` when it cannot be opened.
async fn connect(addr: &str) -> Option<SendRequest<Full<Bytes>>> {
    let tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
    tcp.set_nodelay(true).ok()?;
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .ok()?;
    tokio::spawn(conn);
    Some(send)
}

/// Sends one request and reads its whole answer; `None` when the connection failed.
async fn exchange(c: &mut SendRequest<Full<Bytes>>, req: Request<Full<Bytes>>) -> Option<Answer> {
    c.ready().await.ok()?;
    let body = c
        .send_request(req)
        .await
        .ok()?
        .into_body()
        .collect()
        .await
        .ok()?
        .to_bytes();
    Some(serde_json::from_slice(&body).unwrap_or(Answer {
        valid: None,
        time: None,
    }))
}

fn main() {
    let o = opts();
    let rt = if o.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(o.threads);
        b
    }
    .enable_all()
    .build()
    .unwrap();
    rt.block_on(run(o));
}

async fn run(o: Opts) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(o.concurrency)
        .build()
        .unwrap();
    let auth = format!("Bearer {}", o.api_token);
    let admin = format!("Bearer {}", o.admin_token);

    // Set-up: import and assign the tokens (skipped when they are already there from an earlier run).
    let first = Serial::new(&o.prefix, 0).unwrap();
    let have = client
        .get(format!("{}/v1/admin/tokens/{}", o.url, first.as_str()))
        .header("authorization", &admin)
        .send()
        .await
        .unwrap();
    if have.status() == 404 {
        let t0 = Instant::now();
        for chunk_start in (0..o.tokens).step_by(5000) {
            let end = (chunk_start + 5000).min(o.tokens);
            let r = client
                .post(format!("{}/v1/admin/pskc", o.url))
                .header("authorization", &admin)
                .body(pskc(&o.prefix, chunk_start, end, o.period))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "import: {}", r.text().await.unwrap());
        }
        let next = Arc::new(AtomicU64::new(0));
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..o.concurrency {
            let (client, admin, next, url, prefix, n) = (
                client.clone(),
                admin.clone(),
                next.clone(),
                o.url.clone(),
                o.prefix.clone(),
                o.tokens as u64,
            );
            set.spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let s = Serial::new(&prefix, u32::try_from(i).unwrap()).unwrap();
                    let r = client
                        .post(format!("{url}/v1/admin/tokens/{}/assign", s.as_str()))
                        .header("authorization", &admin)
                        .json(&json!({ "contract_id": (2_000_000_000 + i).to_string() }))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                }
            });
        }
        while set.join_next().await.is_some() {}
        eprintln!(
            "loadgen: {} tokens imported and assigned in {:.1} s",
            o.tokens,
            t0.elapsed().as_secs_f64()
        );
    }

    // The run itself goes over one plain HTTP/1.1 connection per client (hyper's own client connection, no
    // pool, no URL parsing per request), so that the load generator takes as little as it can of the CPU that it
    // shares with the server.
    let base = reqwest::Url::parse(&o.url).unwrap();
    let host = format!(
        "{}:{}",
        base.host_str().unwrap(),
        base.port_or_known_default().unwrap()
    );
    let per = o.tokens / o.concurrency;
    let deadline = Instant::now() + Duration::from_secs(o.duration);
    let mut set = tokio::task::JoinSet::new();
    // Open loop: each client's interval between due times, the clients' first due times spread over one interval.
    let interval = o.rate.map(|r| Duration::from_secs_f64(o.concurrency as f64 / r));
    let t_start = Instant::now();
    for c in 0..o.concurrency {
        let first_due = interval.map(|iv| t_start + iv.mul_f64(c as f64 / o.concurrency as f64));
        let (host, auth, prefix, mode, period) = (
            host.clone(),
            auth.clone(),
            o.prefix.clone(),
            o.mode.clone(),
            o.period,
        );
        set.spawn(async move {
            let tokens: Vec<(String, Totp)> = (c * per..(c + 1) * per)
                .map(|i| {
                    let seed = Seed::from_bytes(&seed_of(i)).unwrap();
                    let s = Serial::new(&prefix, u32::try_from(i).unwrap()).unwrap();
                    (
                        s.as_str().to_string(),
                        Totp::new(&seed, Params::default(), Period::new(period).unwrap()),
                    )
                })
                .collect();
            let mut conn = connect(&host).await;
            let mut used = vec![0u64; tokens.len()];
            let mut lat = Vec::with_capacity(100_000);
            let (mut ok, mut bad) = (0u64, 0u64);
            let mut k = 0usize;
            let mut due = first_due;
            while due.unwrap_or_else(Instant::now) < deadline {
                if let Some(d) = due {
                    tokio::time::sleep_until(d.into()).await;
                }
                let now = softtoken_core::now();
                let (serial, totp) = &tokens[k];
                let step = totp.step_at(now);
                let otp = if mode == "valid" {
                    if used[k] >= step {
                        // Every token of this client is used up for this step: wait for the next one.
                        if used.iter().all(|&u| u >= step) {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                        k = (k + 1) % tokens.len();
                        continue;
                    }
                    used[k] = step;
                    totp.code_for_step(step).to_string()
                } else {
                    let right = totp.code_for_step(step).to_string();
                    if right == "000000" {
                        "111111".to_string()
                    } else {
                        "000000".to_string()
                    }
                };
                // Closed loop: from now. Open loop: from when the request was due.
                let t = due.unwrap_or_else(Instant::now);
                let req = if mode == "time" {
                    Request::get("/v1/time")
                        .header("host", &host)
                        .body(Full::new(Bytes::new()))
                } else {
                    Request::post("/v1/validate")
                        .header("host", &host)
                        .header("authorization", &auth)
                        .header("content-type", "application/json")
                        .body(Full::new(Bytes::from(format!(
                            r#"{{"serial":"{serial}","otp":"{otp}"}}"#
                        ))))
                }
                .unwrap();
                let answer = match conn.as_mut() {
                    Some(c) => exchange(c, req).await,
                    None => None,
                };
                let elapsed = t.elapsed();
                match answer {
                    Some(a) => {
                        let as_expected = match mode.as_str() {
                            "time" => a.time.is_some(),
                            "valid" => a.valid == Some(true),
                            _ => a.valid == Some(false),
                        };
                        if as_expected {
                            ok += 1;
                        } else {
                            bad += 1;
                        }
                    }
                    None => {
                        // The connection failed or was closed: count the request, and open a new one.
                        bad += 1;
                        conn = connect(&host).await;
                    }
                }
                lat.push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
                k = (k + 1) % tokens.len();
                if let (Some(d), Some(iv)) = (due.as_mut(), interval) {
                    *d += iv;
                }
            }
            (lat, ok, bad)
        });
    }
    let mut lat = Vec::new();
    let (mut ok, mut bad) = (0, 0);
    while let Some(r) = set.join_next().await {
        let (l, o2, b) = r.unwrap();
        lat.extend(l);
        ok += o2;
        bad += b;
    }
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    println!(
        "{}",
        json!({
            "mode": o.mode, "rate": o.rate, "concurrency": o.concurrency, "duration_s": o.duration, "tokens": o.tokens,
            "requests": lat.len(), "as_expected": ok, "unexpected": bad,
            "per_second": (lat.len() as f64 / o.duration as f64).round(),
            "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99), "max_ms": pct(1.0),
        })
    );
}

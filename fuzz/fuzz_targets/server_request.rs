//! What softtoken-server reads from a request by itself rather than through a library: the cookie header, the
//! `X-Forwarded-For` chain, the internet-banking forms' fields and the stored session stage.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Request<'a> {
    cookie: &'a str,
    forwarded: Vec<&'a str>,
    form: &'a [u8],
    stage: &'a str,
    stage_data: &'a str,
}

fuzz_target!(|r: Request<'_>| {
    softtoken_server::fuzzing::request(r.cookie, &r.forwarded, r.form, r.stage, r.stage_data);
});

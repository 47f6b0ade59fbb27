//! Slow clients (issue 16, attack 6), against the server binary: before, 200 connections that trickled their
//! request head a byte at a time were all still open after 40 s. Now a head must arrive within 10 s and a
//! kept-alive connection may wait as long for its next request; meanwhile everyone else is served.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr)]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{Server, TestDb};

/// Whether the server has closed `s`: reads until the end (0 bytes) or a reset; `false` if it is still open
/// (a closed connection's end is already there to read: a short wait tells them apart).
fn closed_by_server(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return false,
            Err(_) => return true,
        }
    }
}

#[test]
fn trickling_and_idle_connections_are_closed_while_others_are_served() {
    let server = Server::start(&TestDb::Sqlite);
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut slow: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /ib/ HTTP/1.1\r\nHost: bank\r\n").unwrap();
            s
        })
        .collect();
    // A kept-alive connection: one request answered, then silence.
    let mut idle = TcpStream::connect(&addr).unwrap();
    idle.write_all(b"GET /v1/time HTTP/1.1\r\nHost: bank\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");

    // The 200 trickle one byte a second; others are served all the while.
    for second in 0..14 {
        for s in &mut slow {
            let _ = s.write_all(b"X");
        }
        if second % 4 == 0 {
            let r = reqwest::blocking::get(server.url("/v1/time")).unwrap();
            assert_eq!(r.status(), 200, "a normal client was not served at {second} s");
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let open = slow
        .iter_mut()
        .map(closed_by_server)
        .filter(|closed| !closed)
        .count();
    assert_eq!(
        open, 0,
        "{open} of 200 trickling connections still open after 14 s"
    );
    assert!(
        closed_by_server(&mut idle),
        "an idle kept-alive connection still open after 14 s"
    );
}

//! Serving connections: the router on hyper's own connection builder, for the timeouts that `axum::serve` does
//! not set (issue 16, attack 6: 200 connections that trickled their request head were all still open after 40 s).
//!
//! - The request head must arrive within [`HEAD_TIMEOUT`]. hyper's timer for it also runs while a kept-alive
//!   connection waits for its next request, so an idle connection is closed after the same time.
//! - The body must arrive within [`BODY_TIMEOUT`] (`lib.rs`, `app`).
//! - On Ctrl+C the server stops accepting and gives open requests [`DRAIN_TIMEOUT`] to finish.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tower::ServiceExt;

/// The longest a client may take to send a request head, or to start the next request on a kept-alive connection.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a client may take to send a request body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long open requests may run on after Ctrl+C.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes. Each request carries its peer's address as
/// `ConnectInfo<SocketAddr>`, as `into_make_service_with_connect_info` would give it.
pub async fn run(listener: tokio::net::TcpListener, app: axum::Router, shutdown: impl Future<Output = ()>) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(HEAD_TIMEOUT))
        .keep_alive_timeout(HEAD_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted: wait a moment.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo::<SocketAddr>(peer));
            router.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        let conn = graceful.watch(conn.into_owned());
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("connection from {peer}: {e}");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still open after {DRAIN_TIMEOUT:?}: stopping anyway");
    }
}

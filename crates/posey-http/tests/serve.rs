//! `serve`: a streamed answer's small pieces leave as soon as they are written. Without
//! `TCP_NODELAY`, Nagle's algorithm held each one back until the client's delayed ACK of the
//! previous one (~40 ms on Linux): a chat's first event waited that long after the headers.

// A failed unwrap in a test fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Headers at once, then one small event a few milliseconds later, then the end: the shape of
/// a chat turn's server-sent events.
fn app() -> Router {
    Router::new().route(
        "/events",
        get(|| async {
            let pieces = futures::stream::unfold(0u8, |step| async move {
                tokio::time::sleep(Duration::from_millis(3)).await;
                (step == 0)
                    .then(|| (Ok::<_, Infallible>(Bytes::from_static(b"data: first\n\n")), 1))
            });
            ([("content-type", "text/event-stream")], Body::from_stream(pieces))
        }),
    )
}

/// Reads from `stream` into `buffer` until it holds `marker`; returns when that happened.
async fn read_until(stream: &mut TcpStream, buffer: &mut Vec<u8>, marker: &[u8]) -> Instant {
    while !buffer.windows(marker.len()).any(|w| w == marker) {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the connection closed before {:?}", String::from_utf8_lossy(marker));
        buffer.extend_from_slice(&chunk[..n]);
    }
    Instant::now()
}

#[tokio::test]
async fn each_piece_of_a_streamed_answer_leaves_when_written() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(posey_http::server::serve(listener, app(), std::future::pending()));

    // Request after request on one connection, as a forwarding proxy does: the client's
    // kernel then delays its ACKs, which is when Nagle's algorithm holds small writes back.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut gaps = Vec::new();
    for _ in 0..20 {
        stream
            .write_all(b"GET /events HTTP/1.1\r\nhost: test\r\naccept: text/event-stream\r\n\r\n")
            .await
            .unwrap();
        let mut buffer = Vec::new();
        let head = read_until(&mut stream, &mut buffer, b"\r\n\r\n").await;
        let event = read_until(&mut stream, &mut buffer, b"data: first").await;
        read_until(&mut stream, &mut buffer, b"\r\n0\r\n\r\n").await;
        gaps.push(event - head);
    }
    gaps.sort();
    let median = gaps[gaps.len() / 2];
    // The event is written ~3 ms after the headers; a delayed ACK is 40 ms or more.
    assert!(median < Duration::from_millis(25), "headers to first event: {gaps:?}");
}

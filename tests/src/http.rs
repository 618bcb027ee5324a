//! A real server on 127.0.0.1 and a plain HTTP/1.1 client over a TCP socket: the client writes
//! exactly the bytes a test gives it (duplicate fields, tabs, odd casing), so nothing between
//! the test and the server normalizes the request. Its answers are [`Answer`]s, like those of
//! in-process services.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};

use crate::answer::Answer;

/// A server running on its own thread and actix system; stopped when dropped.
#[allow(missing_debug_implementations)]
pub struct TestServer {
    pub addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Runs `build` (which binds 127.0.0.1:0 and returns the running server and its address)
    /// inside a fresh actix system on a new thread.
    pub fn start(
        build: impl FnOnce() -> std::io::Result<(Server, SocketAddr)> + Send + 'static,
    ) -> TestServer {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_rt::System::new().block_on(async move {
                let (server, addr) = build()?;
                let _ = tx.send((server.handle(), addr));
                server.await
            })
        });
        let (handle, addr) = rx.recv().expect("test server failed to start");
        TestServer {
            addr,
            handle,
            thread: Some(thread),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // On a thread of its own: the test itself may be running inside an actix runtime.
        let handle = self.handle.clone();
        let _ =
            std::thread::spawn(move || actix_rt::System::new().block_on(handle.stop(false))).join();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Sends `request` (a full HTTP/1.1 request; `Connection: close` is expected) and reads the
/// response until the server closes the connection.
pub fn send(addr: SocketAddr, request: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse(raw)
}

/// `METHOD path` with the given header lines (each `Name: value`, written verbatim).
pub fn request(addr: SocketAddr, method: &str, path: &str, header_lines: &[&str]) -> Answer {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for line in header_lines {
        req.push_str(line);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    send(addr, req.as_bytes())
}

fn parse(raw: Vec<u8>) -> Answer {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let body = raw[split + 4..].to_vec();
    Answer {
        status,
        headers,
        body,
        raw,
    }
}

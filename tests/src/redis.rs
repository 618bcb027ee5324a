//! A real `redis-server` (Debian's) for the tests: started on 127.0.0.1 on a free port, with
//! no persistence, stopped (killed and reaped) when dropped. `scripts/ensure-redis.sh`, which
//! the README's test command runs first, installs it where missing.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
    password: Option<String>,
}

impl RedisServer {
    /// A fresh server.
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// A fresh server that demands `password` (`requirepass`).
    pub fn start_with_password(password: &str) -> Self {
        Self::start_with(Some(password.to_owned()))
    }

    fn start_with(password: Option<String>) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let mut server = RedisServer {
            port,
            child: None,
            password,
        };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:<port>/` (with the password, if any).
    pub fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@127.0.0.1:{}/", self.port),
            None => format!("redis://127.0.0.1:{}/", self.port),
        }
    }

    /// Kills the server (as a crash would) and waits until its port is closed.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, empty (no persistence), and waits until it
    /// accepts connections.
    pub fn restart(&mut self) {
        self.stop();
        let port = self.port.to_string();
        let mut args = vec![
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ];
        if let Some(password) = &self.password {
            args.extend(["--requirepass", password]);
        }
        let child = Command::new("redis-server")
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on PATH: run scripts/ensure-redis.sh (the README's test command does)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls `ready` every millisecond for up to `within`; how long it took, or `None`.
pub async fn eventually(within: Duration, mut ready: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        if ready() {
            return Some(start.elapsed());
        }
        actix_web::rt::time::sleep(Duration::from_millis(1)).await;
    }
    ready().then(|| start.elapsed())
}

/// A store on `server` under `prefix`, once its view is in sync.
pub async fn fresh_store(server: &RedisServer, prefix: &str) -> auth_core::redis_store::RedisStore {
    let store = auth_core::redis_store::RedisStore::builder(&server.url())
        .prefix(prefix)
        .build()
        .unwrap();
    let fresh = eventually(Duration::from_secs(10), || store.is_fresh()).await;
    assert!(fresh.is_some(), "the store's view never became fresh");
    store
}

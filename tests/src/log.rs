//! Captures this thread's `tracing` events as text, for tests that assert what is (and is not)
//! logged.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// The text written while a [`capture_log`] guard lived.
#[derive(Clone, Debug, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Records this thread's `tracing` events (INFO and up) as text while the guard lives.
pub fn capture_log() -> (Capture, tracing::subscriber::DefaultGuard) {
    let capture = Capture::default();
    let sink = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    // Tests run on parallel threads, most without a subscriber: a callsite first met on one of
    // those may have cached "never" while this one was being set; ask every callsite again.
    tracing::callsite::rebuild_interest_cache();
    (capture, guard)
}

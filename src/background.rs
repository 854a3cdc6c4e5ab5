//! The service's own threads (rating writers, compaction, reminders, search keys, the outbox),
//! stopped and joined when the server stops.
//!
//! Why: a thread still inside libpq while the process exits tears libpq (and the GSSAPI library
//! it may have loaded) down under its feet; the test binary once aborted that way
//! (`k5_mutex_lock: Assertion 'r == 0' failed`). So every thread that talks to the database is
//! registered here, sleeps on [`Stop::sleep`] rather than `thread::sleep`, and the server's
//! stop waits for it (see `startup::Application::serve`).

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A stop signal that wakes sleeping threads at once.
#[derive(Default)]
pub struct Stop {
    stopping: Mutex<bool>,
    wake: Condvar,
}

impl Stop {
    pub fn set(&self) {
        *self.stopping.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.wake.notify_all();
    }

    pub fn is_set(&self) -> bool {
        *self.stopping.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sleeps for `d` or until the stop is set; true if the thread should go on.
    pub fn sleep(&self, d: Duration) -> bool {
        let guard = self.stopping.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self
            .wake
            .wait_timeout_while(guard, d, |stopping| !*stopping)
            .unwrap_or_else(|e| e.into_inner());
        !*guard
    }
}

/// The threads of one server, and their stop signal.
#[derive(Default)]
pub struct Background {
    stop: Arc<Stop>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Background {
    pub fn stop_signal(&self) -> Arc<Stop> {
        Arc::clone(&self.stop)
    }

    /// Starts `job` on a thread named `name`; a thread that cannot start is logged, not fatal
    /// (the service answers without it, as it would after the job's own failure).
    pub fn spawn(&self, name: &str, job: impl FnOnce(Arc<Stop>) + Send + 'static) {
        let stop = self.stop_signal();
        match std::thread::Builder::new()
            .name(name.into())
            .spawn(move || job(stop))
        {
            Ok(handle) => self.adopt(handle),
            Err(e) => tracing::warn!("cannot start the {name} thread: {e}"),
        }
    }

    /// Registers a thread started elsewhere, which stops on its own signal (the outbox worker's
    /// flag, the writers' channel closing).
    pub fn adopt(&self, handle: JoinHandle<()>) {
        self.threads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(handle);
    }

    /// Signals every thread to stop and waits up to `patience` for them to end; returns how
    /// many are still running (a thread inside a long query is left to finish it).
    pub fn stop_and_join(&self, patience: Duration) -> usize {
        self.stop.set();
        let deadline = Instant::now() + patience;
        let mut threads =
            std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        while Instant::now() < deadline && threads.iter().any(|t| !t.is_finished()) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let (done, running): (Vec<_>, Vec<_>) = threads.drain(..).partition(|t| t.is_finished());
        for t in done {
            let _ = t.join();
        }
        for t in &running {
            tracing::warn!(
                thread = t.thread().name().unwrap_or("?"),
                "a background thread did not stop in time"
            );
        }
        running.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sleeping_thread_wakes_on_stop_and_is_joined() {
        let bg = Background::default();
        bg.spawn("test-sleeper", |stop| {
            while stop.sleep(Duration::from_secs(3600)) {}
        });
        let started = Instant::now();
        assert_eq!(bg.stop_and_join(Duration::from_secs(5)), 0);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_thread_that_ignores_the_signal_is_counted_not_waited_for_forever() {
        let bg = Background::default();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        bg.spawn("test-stubborn", move |_| {
            let _ = rx.recv();
        });
        assert_eq!(bg.stop_and_join(Duration::from_millis(100)), 1);
        drop(tx);
    }
}

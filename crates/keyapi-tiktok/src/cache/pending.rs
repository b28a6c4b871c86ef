//! Cache writes in the background, one at a time on one blocking thread: queued, counted,
//! so a process can wait for them (with a bound) before it exits.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

/// Writes waiting to start beyond this are skipped (the page is simply fetched again next
/// time): a disk slower than the network must not hold every page in memory.
pub(super) const MAX_QUEUED: usize = 256;

type Write = Box<dyn FnOnce() + Send>;

/// The writes under way, shared by every clone of a cache.
#[derive(Default)]
pub(super) struct Pending {
    state: Mutex<Queue>,
    /// Writes queued or running.
    running: AtomicUsize,
    idle: Notify,
}

#[derive(Default)]
struct Queue {
    writes: VecDeque<Write>,
    /// Whether a blocking task is working through `writes`.
    draining: bool,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("running", &self.running())
            .finish()
    }
}

impl Pending {
    /// Queues `write` to run after the writes before it, on one of the current tokio
    /// runtime's blocking threads, without waiting for it; with no runtime (a caller
    /// outside tokio), runs it here. Returns false when the queue is full and the write
    /// was skipped.
    ///
    /// One writer at a time: the writes are file-system calls that would otherwise compete
    /// for the cores with the requests still under way.
    pub(super) fn spawn_blocking(self: &Arc<Self>, write: impl FnOnce() + Send + 'static) -> bool {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            write();
            return true;
        };
        let start = {
            let mut queue = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if queue.writes.len() >= MAX_QUEUED {
                return false;
            }
            self.running.fetch_add(1, Ordering::AcqRel);
            queue.writes.push_back(Box::new(write));
            !std::mem::replace(&mut queue.draining, true)
        };
        if start {
            let mut drainer = Drainer {
                pending: Arc::clone(self),
                started: false,
            };
            runtime.spawn_blocking(move || drainer.drain());
        }
        true
    }

    /// How many writes are queued or running.
    pub(super) fn running(&self) -> usize {
        self.running.load(Ordering::Acquire)
    }

    /// Counts `writes` as finished, waking the waiters when none is left.
    fn finished(&self, writes: usize) {
        if writes > 0 && self.running.fetch_sub(writes, Ordering::AcqRel) == writes {
            self.idle.notify_waiters();
        }
    }

    /// Waits until no write is queued or running, or `timeout` has passed; whether none
    /// is left.
    pub(super) async fn wait(&self, timeout: Duration) -> bool {
        let drained = async {
            loop {
                let idle = self.idle.notified();
                tokio::pin!(idle);
                // Registered before the count is read, so a write ending in between wakes it.
                idle.as_mut().enable();
                if self.running() == 0 {
                    return;
                }
                idle.await;
            }
        };
        tokio::time::timeout(timeout, drained).await.is_ok()
    }
}

/// The blocking task working through the queue.
struct Drainer {
    pending: Arc<Pending>,
    started: bool,
}

impl Drainer {
    fn drain(&mut self) {
        self.started = true;
        loop {
            let write = {
                let mut queue = self
                    .pending
                    .state
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                match queue.writes.pop_front() {
                    Some(write) => write,
                    None => {
                        queue.draining = false;
                        return;
                    }
                }
            };
            let done = Done(&self.pending);
            write();
            drop(done);
        }
    }
}

impl Drop for Drainer {
    /// A task dropped unrun (a runtime shutting down) or stopped by a panicking write
    /// leaves its queue: those writes will not run, so they are counted as finished and a
    /// wait never hangs on them.
    fn drop(&mut self) {
        if self.started && !std::thread::panicking() {
            return;
        }
        let mut queue = self
            .pending
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let dropped = queue.writes.len();
        queue.writes.clear();
        queue.draining = false;
        drop(queue);
        self.pending.finished(dropped);
    }
}

/// Counts one write as finished when dropped, whether it returned or panicked.
struct Done<'a>(&'a Pending);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.finished(1);
    }
}

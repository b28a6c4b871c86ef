//! Cache writes in the background, one at a time on one blocking thread: queued, counted,
//! bounded in bytes, so a process can wait for them (with a bound) before it exits.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

/// A write that would take the bytes held by the writes queued or running beyond this is
/// skipped (the page is simply fetched again next time): a disk slower than the network
/// must not hold every page in memory.
pub(super) const MAX_QUEUED_BYTES: usize = 64 << 20;

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
    /// The writes waiting, each with the bytes it holds.
    writes: VecDeque<(usize, Write)>,
    /// The bytes held by the writes waiting and the one running.
    bytes: usize,
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
    /// Queues `write`, which holds `bytes` until it has run, to run after the writes before
    /// it, on one of the current tokio runtime's blocking threads, without waiting for it;
    /// with no runtime (a caller outside tokio), runs it here. Returns false when the
    /// writes queued or running already hold too much ([`MAX_QUEUED_BYTES`]) and the write
    /// was skipped.
    ///
    /// One writer at a time: the writes are file-system calls that would otherwise compete
    /// for the cores with the requests still under way.
    pub(super) fn spawn_blocking(
        self: &Arc<Self>,
        bytes: usize,
        write: impl FnOnce() + Send + 'static,
    ) -> bool {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            write();
            return true;
        };
        let start = {
            let mut queue = self.queue();
            if queue.bytes.saturating_add(bytes) > MAX_QUEUED_BYTES {
                return false;
            }
            self.running.fetch_add(1, Ordering::AcqRel);
            queue.bytes += bytes;
            queue.writes.push_back((bytes, Box::new(write)));
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

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
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
            let (bytes, write) = {
                let mut queue = self.pending.queue();
                match queue.writes.pop_front() {
                    Some(write) => write,
                    None => {
                        queue.draining = false;
                        return;
                    }
                }
            };
            let done = Done(&self.pending, bytes);
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
        let mut queue = self.pending.queue();
        let dropped = queue.writes.len();
        let bytes: usize = queue.writes.drain(..).map(|(bytes, _)| bytes).sum();
        queue.bytes -= bytes;
        queue.draining = false;
        drop(queue);
        self.pending.finished(dropped);
    }
}

/// Counts one write, and the bytes it held, as finished when dropped, whether it returned
/// or panicked.
struct Done<'a>(&'a Pending, usize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.queue().bytes -= self.1;
        self.0.finished(1);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    #[test]
    fn the_writes_waiting_are_bounded_in_bytes() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .max_blocking_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let pending = Arc::new(Pending::default());
        let (release, released) = mpsc::channel::<()>();
        runtime.block_on(async {
            // The first write holds the writer until released: the others wait.
            assert!(pending.spawn_blocking(1, move || {
                let _ = released.recv();
            }));
            let page = 16 << 20;
            for _ in 0..3 {
                assert!(pending.spawn_blocking(page, || {}));
            }
            assert!(!pending.spawn_blocking(page, || {}), "past 64 MiB");
            assert!(pending.spawn_blocking(MAX_QUEUED_BYTES - 1 - 3 * page, || {}));
            assert_eq!(pending.running(), 5);
            release.send(()).unwrap();
            assert!(pending.wait(Duration::from_secs(10)).await);
            assert_eq!(pending.queue().bytes, 0);
            assert!(
                pending.spawn_blocking(MAX_QUEUED_BYTES, || {}),
                "room again"
            );
            assert!(pending.wait(Duration::from_secs(10)).await);
        });
    }
}

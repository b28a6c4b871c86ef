//! Cache writes in the background: counted while they run, so a process can wait for them
//! (with a bound) before it exits.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// The writes under way, shared by every clone of a cache.
#[derive(Debug, Default)]
pub(super) struct Pending {
    running: AtomicUsize,
    idle: Notify,
}

impl Pending {
    /// Runs `write` on the current tokio runtime's blocking threads without waiting for
    /// it; with no runtime (a caller outside tokio), runs it to the end here.
    pub(super) fn spawn_blocking(self: &Arc<Self>, write: impl FnOnce() + Send + 'static) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            write();
            return;
        };
        self.running.fetch_add(1, Ordering::AcqRel);
        let done = Finished(Arc::clone(self));
        runtime.spawn_blocking(move || {
            write();
            drop(done);
        });
    }

    /// How many writes are still running.
    pub(super) fn running(&self) -> usize {
        self.running.load(Ordering::Acquire)
    }

    /// Waits until no write is running, or `timeout` has passed; whether none is left.
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

/// Counts a write as finished when dropped: when it ends, and when its task is dropped
/// unrun (a runtime shutting down), so a wait never hangs on a write that will not run.
struct Finished(Arc<Pending>);

impl Drop for Finished {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

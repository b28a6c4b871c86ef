//! A page's turn to claim its credit: pages of one ranking reserve budget in rank order.

use tokio::sync::oneshot;

/// Where one page stands in its ranking's line for the credit budget.
///
/// A page waits until the page before it has either been answered from the cache or
/// reserved its credit (or failed to), then takes its own turn. Without it, the pages of a
/// window race (each cache lookup ends on a blocking thread, in any order), and a later
/// page could take the last credit of a budget an earlier one needed: a credit spent on a
/// page the ranking never yields, since it stops at the earlier page's error.
pub(crate) struct Turn {
    after: Option<oneshot::Receiver<()>>,
    done: Option<oneshot::Sender<()>>,
}

impl Turn {
    /// A page that waits for nobody and nobody waits for.
    pub(crate) fn alone() -> Turn {
        Turn {
            after: None,
            done: None,
        }
    }

    /// Turns for pages in order: each call gives the next page's turn.
    pub(crate) fn line() -> impl FnMut() -> Turn {
        let mut previous: Option<oneshot::Receiver<()>> = None;
        move || {
            let (done, next) = oneshot::channel();
            Turn {
                after: previous.replace(next),
                done: Some(done),
            }
        }
    }

    /// Waits until the page before has taken its turn (or was dropped: a page that never
    /// reaches the budget holds nobody up).
    pub(crate) async fn wait(&mut self) {
        if let Some(after) = self.after.take() {
            let _ = after.await;
        }
    }

    /// This page has taken its turn; the next may take its own. Dropping the turn does the
    /// same.
    pub(crate) fn pass(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
    }
}

//! Cancellation per call: a [`CancelToken`] travels with the options of one call, and the
//! engines check it between chunks of work, so cancelling one query leaves every other query
//! in the process running.
//!
//! **Invariant:** a cancelled query fails with "cancelled"; it never returns a partial answer.

use crate::diagnostics::Diagnostic;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Stops the calls that were given it (through [`Options::cancel_token`](crate::Options::cancel_token))
/// at their next chunk boundary; they then fail with a "cancelled" error.
///
/// Clones share one flag: keep a clone, hand the other to the options, call
/// [`cancel`](CancelToken::cancel) from any thread. A token stays cancelled; use a new one for
/// the next call.
///
/// ```
/// use whatif::{CancelToken, Model, Options};
///
/// let model = Model::parse("x ~ Normal(0, 1)\ny ~ Normal(x, 1)")?;
/// let token = CancelToken::new();
/// let options = Options::new().method(whatif::Method::Is).cancel_token(token.clone());
/// token.cancel(); // from another thread, typically
/// let error = model.ask("E[y | y > 1]", &options).unwrap_err();
/// assert_eq!(error.message(), "cancelled");
/// # Ok::<(), whatif::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct CancelToken {
    cancelled: Arc<AtomicBool>,
}

impl CancelToken {
    /// A token that has not been cancelled.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks every call holding this token (or a clone) to stop.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether [`cancel`](CancelToken::cancel) has been called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Clears the flag: the REPL reuses one token (its Ctrl-C handler holds a clone) for
    /// every entry.
    pub(crate) fn reset(&self) {
        self.cancelled.store(false, Ordering::Relaxed);
    }

    /// An error if cancellation was requested: what the engines call between chunks.
    pub(crate) fn check(&self) -> Result<(), Diagnostic> {
        if self.is_cancelled() {
            Err(Diagnostic::plain("cancelled".to_string()))
        } else {
            Ok(())
        }
    }
}

thread_local! {
    /// The token of the call running on this thread, for engines that do not receive it as an
    /// argument yet (exact elimination checks it between steps).
    static CURRENT: std::cell::RefCell<Option<CancelToken>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `token` as this thread's current token (restoring the previous one after).
pub(crate) fn with_current<T>(token: &CancelToken, f: impl FnOnce() -> T) -> T {
    let previous = CURRENT.with(|c| c.replace(Some(token.clone())));
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = previous);
    out
}

/// An error if the current call on this thread was cancelled (none set: not cancelled).
pub(crate) fn check_current() -> Result<(), Diagnostic> {
    CURRENT.with(|c| match &*c.borrow() {
        Some(token) => token.check(),
        None => Ok(()),
    })
}

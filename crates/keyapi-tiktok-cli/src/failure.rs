//! Why a command failed, and the exit status and the one line on stderr that say so.

use std::io;

use keyapi_tiktok::Error;
use keyapi_tiktok_store::StoreError;

/// Why the command failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An argument or the environment is unusable; nothing was sent.
    Usage(String),
    /// The client or the API failed.
    Api(Error),
    /// Stdout could not be written.
    Output(io::Error),
    /// `conformance` found this many departures from the spec (its report is on stdout).
    Drift(usize),
    /// The store of `sync`, `history` or `movers` refused the input (nothing was sent or
    /// written) or failed.
    Store { message: String, refused: bool },
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Failure {
        match error {
            StoreError::InvalidPlan { .. } => Failure::Usage(error.to_string()),
            _ => Failure::Store {
                refused: error.is_refusal(),
                message: error.to_string(),
            },
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Api(error)
    }
}

impl Failure {
    /// 2 invalid arguments (a store refused included), 3 authentication, 4 credits exhausted
    /// (402, or the `--budget` spent: the same situation for a script), 5 rate limited, 1
    /// the rest.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_)
            | Failure::Api(Error::InvalidInput { .. } | Error::DateAfterToday { .. })
            | Failure::Store { refused: true, .. } => 2,
            Failure::Api(Error::Authentication(_)) => 3,
            Failure::Api(Error::CreditsExhausted(_) | Error::BudgetExhausted { .. }) => 4,
            Failure::Api(Error::RateLimited(_)) => 5,
            Failure::Api(_) | Failure::Output(_) | Failure::Drift(_) | Failure::Store { .. } => 1,
        }
    }

    /// What went wrong, without the `error: kind` prefix.
    pub(crate) fn message(&self) -> String {
        match self {
            Failure::Usage(message) | Failure::Store { message, .. } => message.clone(),
            Failure::Api(error) => error.to_string(),
            Failure::Output(error) => error.to_string(),
            Failure::Drift(found) => format!(
                "{found} departure{} from the vendored spec",
                if *found == 1 { "" } else { "s" }
            ),
        }
    }

    /// `error: rate_limited (HTTP 429, code 429): qps limit exceeded [requestId r-1]`,
    /// made one clean line by [`crate::logging::line`].
    pub(crate) fn line(&self) -> String {
        match self {
            Failure::Usage(message) => format!("error: invalid_input: {message}"),
            // The failure renders ` (HTTP s, code c): message [requestId id]`.
            Failure::Api(error) => match error.api_failure() {
                Some(failure) => format!("error: {}{failure}", error.kind()),
                None => format!("error: {}: {error}", error.kind()),
            },
            Failure::Output(error) => format!("error: output: cannot write to stdout: {error}"),
            Failure::Drift(_) => format!("drift: {}", self.message()),
            Failure::Store { message, .. } => format!("error: store: {message}"),
        }
    }
}

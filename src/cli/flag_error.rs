//! The error every flag resolver returns: which flag, and what is wrong with its value. Its own
//! module so the `*_args` files and `profile` (which gathers them) both import it from below.

/// A flag value that cannot make a valid plan.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{flag}: {message}")]
pub struct FlagError {
    /// The flag, as the user typed it.
    pub flag: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

pub(super) fn flag_err(flag: &'static str, message: impl Into<String>) -> FlagError {
    FlagError {
        flag,
        message: message.into(),
    }
}

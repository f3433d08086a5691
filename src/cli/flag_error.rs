//! The error every flag check returns: config's [`SettingError`], whose origin is the flag.
//! Its own module so the `*_args` files and `profile` (which gathers them) both import it from
//! below.

pub use crate::config::settings::SettingError as FlagError;

pub(super) fn flag_err(flag: &'static str, message: impl Into<String>) -> FlagError {
    FlagError::flag(flag, message)
}

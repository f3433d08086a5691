//! The C ABI of gauntlet.

use std::ffi::c_char;

/// The library version as a NUL-terminated string with static lifetime.
#[no_mangle]
pub extern "C" fn gauntlet_version() -> *const c_char {
    static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn version_is_the_library_version() {
        // SAFETY: gauntlet_version returns a pointer to a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(gauntlet_version()) };
        assert_eq!(v.to_str().unwrap(), gauntlet::VERSION);
    }
}

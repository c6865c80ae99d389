//! SQLite's query planner stability guarantee, on for every connection
//! this process opens.
//!
//! SQLite 3.50 reads a bound `LIMIT` or `OFFSET` as a constant while
//! planning, so a statement that binds one (diesel binds every `.limit()`
//! and `.first()`) is compiled again each time it is bound — the statement
//! cache keeps it, and every execution parses and plans it anew. Rendering
//! a post page spent a seventh of its time in that. With the guarantee
//! (`SQLITE_DBCONFIG_ENABLE_QPSG`) a statement keeps the plan it was
//! prepared with whatever is bound, which is also what our pinned plans
//! (`tests/query_plans.rs`) assume.
//!
//! diesel does not hand out its raw handle, so the setting is made by an
//! auto extension: SQLite calls it on every connection opened afterwards.

use std::os::raw::{c_char, c_int};
use std::sync::Once;

use libsqlite3_sys as ffi;

/// Registers the extension once per process; connections opened from then
/// on plan with the guarantee.
pub fn enable_for_new_connections() {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(|| {
        // SAFETY: `stable_plans` has the signature SQLite calls an auto
        // extension with, and lives as long as the process.
        let status = unsafe { ffi::sqlite3_auto_extension(Some(stable_plans)) };
        if status != ffi::SQLITE_OK {
            tracing::warn!(status, "cannot turn on SQLite's query plan stability");
        }
    });
}

/// Called by SQLite with each new connection's handle.
unsafe extern "C" fn stable_plans(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the open connection SQLite is setting up; the option
    // takes an int (1: on) and an optional int pointer for the new value.
    unsafe {
        ffi::sqlite3_db_config(
            db,
            ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option as a new connection has it (the raw API: diesel hides its handle).
    fn stability_of_a_new_connection() -> c_int {
        let mut db: *mut ffi::sqlite3 = std::ptr::null_mut();
        // SAFETY: an in-memory database opened, asked and closed here.
        unsafe {
            assert_eq!(
                ffi::sqlite3_open(c":memory:".as_ptr(), &mut db),
                ffi::SQLITE_OK
            );
            let mut on: c_int = -1;
            ffi::sqlite3_db_config(
                db,
                ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
                -1 as c_int,
                &mut on as *mut c_int,
            );
            ffi::sqlite3_close(db);
            on
        }
    }

    #[test]
    fn new_connections_keep_their_plans_whatever_is_bound() {
        enable_for_new_connections();
        enable_for_new_connections();
        assert_eq!(stability_of_a_new_connection(), 1);
    }
}

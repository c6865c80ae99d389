use std::process::ExitCode;

fn main() -> ExitCode {
    limit_malloc_arenas();
    ferropress::cli::run()
}

/// glibc gives each thread that allocates an arena of its own (up to eight
/// per core) and keeps what is freed in each: under a long mixed load a
/// server's resident memory creeps up (`bench/soak`: +31 % in 3 minutes).
/// Two arenas keep it flat (+5 % over the same run once warm; see
/// `bench/RESULTS.md`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    // SAFETY: `mallopt` only sets a parameter of the allocator; this runs
    // first in `main`, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

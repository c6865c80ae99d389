//! Rebuilds when a migration is added (they are embedded), and marks test
//! builds made with a PostgreSQL test database: without
//! `FERROPRESS_TEST_DATABASE_URL`, the PostgreSQL tests compile as ignored, so
//! `cargo test` reports them as such instead of passing them unrun.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=FERROPRESS_TEST_DATABASE_URL");
    println!("cargo::rerun-if-changed=build.rs");
    // The migrations are embedded in the binary: a new one must rebuild it.
    println!("cargo::rerun-if-changed=migrations");
    if std::env::var_os("FERROPRESS_TEST_DATABASE_URL").is_some_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}

//! Who someone is: password hashing now; sessions, CSRF and roles with the
//! admin panel.

pub mod password;

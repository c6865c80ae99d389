//! Who someone is and what they may do: passwords, signatures with the site
//! secret, rate limits; sessions, CSRF and roles with the admin panel.

pub mod password;
pub mod signing;
pub mod throttle;

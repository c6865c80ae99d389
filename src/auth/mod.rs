//! Who someone is and what they may do: passwords, signatures with the site
//! secret, rate limits, the staff session and its CSRF token, roles.

pub mod password;
pub mod roles;
pub mod signing;
pub mod staff;
pub mod throttle;

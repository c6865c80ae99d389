//! Who someone is and what they may do: passwords, signatures with the site
//! secret, rate limits, roles (the staff session lives with the routes).

pub mod password;
pub mod roles;
pub mod signing;
pub mod throttle;

//! Staff roles (SPEC §5): admin does everything, editor runs posts, categories
//! and comments, moderator runs comments.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Editor,
    Moderator,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("role must be admin, editor or moderator")]
pub struct UnknownRole;

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Moderator => "moderator",
        }
    }

    /// The role as the panel names it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Editor => "Editor",
            Role::Moderator => "Moderator",
        }
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Role, UnknownRole> {
        match text.trim().to_ascii_lowercase().as_str() {
            "admin" | "administrator" => Ok(Role::Admin),
            "editor" => Ok(Role::Editor),
            "moderator" => Ok(Role::Moderator),
            _ => Err(UnknownRole),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

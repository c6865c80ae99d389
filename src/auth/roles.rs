//! What each role may reach (SPEC §5): admin everything, editor posts,
//! categories and comments, moderator comments. Checked on the server for
//! every route and action.

use crate::domain::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Dashboard,
    Comments,
    Posts,
    Categories,
    Settings,
    Users,
    Outbox,
    PersonalData,
}

/// Who may use a route. Each route declares it beside its handler in the
/// route tables, and `tests/api/route_table.rs` holds every route to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: reader pages, feeds, assets, the comment form.
    Public,
    /// Whoever holds the signed, expiring token in its path (mail links).
    Capability,
    /// Before a session exists (login, setup): a double-submit form token.
    PreSession,
    /// Any signed-in staff member (own profile, logout); CSRF on POST.
    SignedIn,
    /// Signed-in staff whose role reaches the area; CSRF on POST.
    Staff(Area),
}

pub fn can(role: Role, area: Area) -> bool {
    match role {
        Role::Admin => true,
        Role::Editor => matches!(
            area,
            Area::Dashboard | Area::Comments | Area::Posts | Area::Categories
        ),
        Role::Moderator => matches!(area, Area::Dashboard | Area::Comments),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_reach_their_areas_only() {
        assert!(can(Role::Admin, Area::Users) && can(Role::Admin, Area::Settings));
        assert!(can(Role::Editor, Area::Posts) && can(Role::Editor, Area::Comments));
        assert!(!can(Role::Editor, Area::Settings) && !can(Role::Editor, Area::Users));
        assert!(can(Role::Moderator, Area::Comments));
        assert!(!can(Role::Moderator, Area::Posts) && !can(Role::Moderator, Area::Categories));
        assert!(!can(Role::Moderator, Area::PersonalData));
    }
}

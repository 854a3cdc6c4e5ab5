//! What a staff account may do. Stored as text in `users.role`; parsed here, once.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Home Affairs (Sở Nội vụ): the whole province, its agencies, desks, users and settings.
    Admin,
    /// An agency's manager: that agency and the units below it; may act there (revoke a desk's
    /// codes, hide an abusive comment).
    Manager,
    /// Read-only, for an agency and the units below it.
    Viewer,
    /// The province's one-stop electronic system: creates receipts for its agency and the units
    /// below it through the API, and may read nothing; it never signs in to the pages.
    System,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Viewer, Role::System];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Viewer => "viewer",
            Role::System => "system",
        }
    }

    /// The name staff read.
    pub fn label_vi(self) -> &'static str {
        match self {
            Role::Admin => "Quản trị (Sở Nội vụ)",
            Role::Manager => "Quản lý cơ quan",
            Role::Viewer => "Chỉ xem",
            Role::System => "Hệ thống một cửa điện tử (chỉ tạo biên nhận)",
        }
    }

    /// Whether the role belongs to one agency (and the units below it).
    pub fn needs_agency(self) -> bool {
        self != Role::Admin
    }

    /// Whether the role may change things in its scope, not only read them.
    pub fn may_act(self) -> bool {
        matches!(self, Role::Admin | Role::Manager)
    }

    /// Whether the role reads results and signs in to the pages (a system only issues
    /// receipts).
    pub fn is_staff(self) -> bool {
        self != Role::System
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("the role must be 'admin', 'manager', 'viewer' or 'system', not '{0}'")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_stored_names() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert_eq!(
            "root".parse::<Role>(),
            Err(UnknownRole("root".into())),
            "unknown names are refused, not mapped to a default"
        );
        assert!("Admin".parse::<Role>().is_err(), "names are exact");
    }
}

//! What a staff account may do. Stored as text in `users.role`; parsed here, once.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Home Affairs (Sở Nội vụ): every agency of the province.
    Admin,
    /// Staff of one agency: that agency and every agency below it.
    Agency,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Admin, Role::Agency];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agency => "agency",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("the role must be 'admin' or 'agency', not '{0}'")]
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

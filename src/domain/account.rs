//! Accounts: the UserID rule and the profile an import stores.

use crate::error::VendorError;
use crate::rules::RulesProfile;

/// An imported account's profile.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Account {
    /// `Nick` (empty when not given).
    pub nick: String,
    /// `FaceUrl` (empty when not given).
    pub face_url: String,
    /// When the account was last kicked (`im_open_login_svc/kick`, unix seconds), if ever.
    pub kicked_at: Option<u64>,
}

/// Checks a UserID: non-empty and at most the profile's byte limit (else 70402).
pub fn check_user_id(id: &str, field: &str, rules: &RulesProfile) -> Result<(), VendorError> {
    if id.is_empty() {
        return Err(VendorError::AccountParam(format!(
            "{field} must not be empty"
        )));
    }
    let max = rules.user_id_max_bytes;
    if id.len() > max {
        return Err(VendorError::AccountParam(format!(
            "{field} {id:?} is {} bytes; at most {max} allowed",
            id.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::DEFAULT;

    #[test]
    fn user_id_is_limited_to_32_bytes_on_both_sides() {
        let table = [
            ("a".repeat(32), Ok(())),
            ("a".repeat(33), Err(70402)),
            (format!("{}ab", "用".repeat(10)), Ok(())), // 32 bytes
            (format!("{}abc", "用".repeat(10)), Err(70402)), // 33 bytes
            (String::new(), Err(70402)),
        ];
        for (id, want) in table {
            assert_eq!(
                check_user_id(&id, "UserID", &DEFAULT).map_err(|e| e.code()),
                want,
                "{id}"
            );
        }
    }
}

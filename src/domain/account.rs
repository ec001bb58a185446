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
            "{field} {id:?} is {}; at most {max} bytes are allowed{}",
            crate::diagnose::length(id),
            crate::diagnose::bytes_note(id, max)
        )));
    }
    Ok(())
}

/// Checks a standard profile value (`Nick`, `FaceUrl`) named `field`: at most the profile's
/// byte limit, 500, else 40601.
///
/// Source: the vendor's account_import page (cloud.tencent.com/document/product/269/1608,
/// English twin trtc.io/document/34953) maps `Nick` to Tag_Profile_IM_Nick and `FaceUrl` to
/// Tag_Profile_IM_Image and lists 40601, "a profile field's Value is longer than 500 bytes",
/// among its own codes; the profile page (cloud.tencent.com/document/product/269/1500,
/// 标配资料字段) gives both fields at most 500 bytes.
pub fn check_profile_value(
    value: &str,
    field: &str,
    rules: &RulesProfile,
) -> Result<(), VendorError> {
    let max = rules.profile_value_max_bytes;
    if value.len() > max {
        return Err(VendorError::ProfileValueTooLong(format!(
            "{field} is {}; a profile value holds at most {max} bytes{}",
            crate::diagnose::length(value),
            crate::diagnose::bytes_note(value, max)
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

    #[test]
    fn profile_values_are_limited_to_500_bytes_on_both_sides() {
        let table = [
            ("a".repeat(500), Ok(())),
            ("a".repeat(501), Err(40601)),
            (format!("{}ab", "昵".repeat(166)), Ok(())), // 500 bytes
            (format!("{}abc", "昵".repeat(166)), Err(40601)), // 501 bytes
            (String::new(), Ok(())),
        ];
        for (value, want) in table {
            let got = check_profile_value(&value, "Nick", &DEFAULT);
            assert_eq!(
                got.as_ref().map(|_| ()).map_err(|e| e.code()),
                want,
                "{value}"
            );
            if let Err(e) = got {
                assert!(e.to_string().contains("Nick is 50"), "{e}");
            }
        }
    }
}

//! Whether a `GroupId` is one any group could have under the rules profile (spec §10.3 step 2):
//! a well-formed ID that names no group is 10010, a malformed one 10015.

use crate::diagnose;
use crate::error::VendorError;
use crate::rules::{RulesProfile, today};

/// What today's service does with a custom GroupId of `bytes` bytes, when its limit differs
/// from the profile's (`""` otherwise).
pub fn today_note(rules: &RulesProfile, bytes: usize) -> String {
    diagnose::today_note(
        rules.name,
        "bytes",
        rules.group_id_max_bytes,
        today::GROUP_ID_MAX_BYTES,
        bytes,
    )
}

/// 10015 when `id` is empty, longer than the profile's custom-ID limit, or holds a control
/// character; assigned IDs (`@TGS#...`) are well-formed by construction and pass.
pub fn check_form(id: &str, rules: &RulesProfile) -> Result<(), VendorError> {
    if id.is_empty() {
        return Err(VendorError::InvalidGroupId(
            "GroupId is empty; no group has an empty ID".into(),
        ));
    }
    let max = rules.group_id_max_bytes;
    if id.len() > max {
        return Err(VendorError::InvalidGroupId(format!(
            "GroupId is {}; no group ID is longer than {max} bytes{}{}",
            diagnose::length(id),
            diagnose::bytes_note(id, max),
            today_note(rules, id.len())
        )));
    }
    if id.chars().any(char::is_control) {
        return Err(VendorError::InvalidGroupId(
            "GroupId holds a control character; no group ID does".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::DEFAULT;

    #[test]
    fn malformed_ids_are_10015_on_both_sides_of_the_limit() {
        let table = [
            ("g".to_string(), Ok(())),
            ("@TGS#2J4SZEAEL".to_string(), Ok(())),
            ("a".repeat(49), Ok(())),
            ("a".repeat(50), Err(10015)),
            (format!("{}a", "群".repeat(16)), Ok(())), // 49 bytes
            (format!("{}ab", "群".repeat(16)), Err(10015)), // 50 bytes
            (String::new(), Err(10015)),
            ("a\u{7}b".to_string(), Err(10015)),
        ];
        for (id, want) in table {
            assert_eq!(
                check_form(&id, &DEFAULT).map_err(|e| e.code()),
                want,
                "{id:?}"
            );
        }
    }
}

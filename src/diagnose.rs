//! Diagnoses: the parts of an ErrorInfo that say what most likely went wrong and how to fix it.
//!
//! The vendor code of a refusal never changes; what this module adds is text. Three kinds are
//! shared by many commands and live here so that every place says them the same way:
//!
//! - a length over a byte limit, given in UTF-8 bytes *and* in characters, with a note when the
//!   text would fit if the limit counted characters ([`too_long`], [`length`]);
//! - a group type the rules profile does not have but another profile does (`Community`,
//!   `Work`, `Meeting`; [`unknown_type`]);
//! - a limit of the rules profile in force that today's service sets differently
//!   ([`today_note`], with the numbers of [`crate::rules::today`]).
//!
//! The UserSig diagnoses live in [`crate::usersig`] and the body's encoding in
//! [`crate::api::body`], next to the decoding they explain.

use crate::rules::RulesProfile;

/// `"33 bytes (11 characters)"`: the UTF-8 byte length of `text` and its character count.
pub fn length(text: &str) -> String {
    let (bytes, chars) = (text.len(), text.chars().count());
    let s = |n: usize| if n == 1 { "" } else { "s" };
    format!("{bytes} byte{} ({chars} character{})", s(bytes), s(chars))
}

/// `"{field} is 33 bytes (11 characters); at most 30 bytes are allowed"`, followed, when the
/// text has at most `max` characters (so its multi-byte characters put it over), by why bytes
/// and characters differ.
pub fn too_long(field: &str, text: &str, max: usize) -> String {
    format!(
        "{field} is {}; at most {max} bytes are allowed{}",
        length(text),
        bytes_note(text, max)
    )
}

/// `""`, or a note that the limit counts UTF-8 bytes (a CJK character is 3, an emoji 4) when
/// `text` has no more than `max` characters.
pub fn bytes_note(text: &str, max: usize) -> &'static str {
    if text.chars().count() <= max {
        " (the limit counts UTF-8 bytes, not characters: a CJK character is 3 bytes, an emoji 4; \
         shorten the text or check the limit in bytes, e.g. Buffer.byteLength / \
         getBytes(UTF_8).length / len(s.encode()))"
    } else {
        ""
    }
}

/// Old and new names of the group types some profile has and another lacks: (name, what it is).
const OTHER_PROFILE_TYPES: [(&str, &str); 4] = [
    (
        "Community",
        "the community type (IDs @TGS#_...) of today's service",
    ),
    ("Work", "today's name of Private (Work = Private)"),
    ("Meeting", "today's name of ChatRoom (Meeting = ChatRoom)"),
    (
        "BChatRoom",
        "the broadcast chat room of the older pages, gone from today's service",
    ),
];

/// The ErrorInfo for a `Type` that `rules` does not know: the valid names, and, for a name
/// another profile has (`Community`, `Work`, `Meeting`), which profile has it and the old
/// names.
pub fn unknown_type(field: &str, name: &str, rules: &RulesProfile) -> String {
    let base = format!(
        "{field} {name:?} is not a group type of the {} rules profile in force; use one of {} \
         (case-sensitive)",
        rules.name,
        rules.type_names()
    );
    let Some((_, what)) = OTHER_PROFILE_TYPES.iter().find(|(n, _)| *n == name) else {
        return base;
    };
    let has = if name == "BChatRoom" {
        "the default profile has it"
    } else {
        "the `current` profile has it (--rules-profile current, issue 13; Work and Meeting are \
         accepted there as aliases and stored as Private and ChatRoom)"
    };
    let fix = match name {
        "Work" => "; under the default profile send \"Private\"",
        "Meeting" => "; under the default profile send \"ChatRoom\"",
        "Community" => "; under the default profile the nearest is \"Public\"",
        _ => "",
    };
    format!("{base}. {name:?} is {what}: {has}{fix}")
}

/// `""`, or a sentence saying that the `profile` in force sets a limit at `in_force` while
/// today's service sets it at `today`, and what today's service does with `n` (a count or a
/// length in `unit`). Only for limits of the form "at most". `profile` may be `""` where the
/// caller does not know it (the limit may also come from `[apps.limits]`).
pub fn today_note(profile: &str, unit: &str, in_force: usize, today: usize, n: usize) -> String {
    if in_force == today {
        return String::new();
    }
    let there = if n > today {
        format!("today's service refuses it too, as it takes at most {today} {unit}")
    } else {
        format!("today's service takes up to {today} {unit}, so this would pass there")
    };
    let odd = if n <= in_force && n > today {
        format!(" (this is within the {in_force} in force but over today's {today} {unit})")
    } else {
        String::new()
    };
    let who = if profile.is_empty() {
        "the limit in force".to_string()
    } else {
        format!("rules profile in force: {profile}")
    };
    format!(
        " [{who}, at most {in_force} {unit}; {there}{odd}; \
         the `current` profile (--rules-profile current) follows today's service]"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::DEFAULT;

    #[test]
    fn length_gives_bytes_and_characters() {
        assert_eq!(length("abc"), "3 bytes (3 characters)");
        assert_eq!(length("群"), "3 bytes (1 character)");
        assert_eq!(length("😀a"), "5 bytes (2 characters)");
    }

    #[test]
    fn the_bytes_note_appears_only_when_characters_would_fit() {
        let cjk = "群".repeat(11); // 33 bytes, 11 characters
        let e = too_long("Name", &cjk, 30);
        assert!(
            e.starts_with("Name is 33 bytes (11 characters); at most 30 bytes"),
            "{e}"
        );
        assert!(e.contains("counts UTF-8 bytes, not characters"), "{e}");
        let ascii = "a".repeat(31);
        assert!(!too_long("Name", &ascii, 30).contains("not characters"));
    }

    #[test]
    fn unknown_types_name_the_profile_that_has_them_and_the_old_names() {
        let table = [
            ("Work", "Work = Private", "send \"Private\""),
            ("Meeting", "Meeting = ChatRoom", "send \"ChatRoom\""),
            ("Community", "--rules-profile current", "@TGS#_"),
        ];
        for (name, a, b) in table {
            let e = unknown_type("Type", name, &DEFAULT);
            assert!(e.contains(a) && e.contains(b), "{name}: {e}");
            assert!(e.contains("default rules profile in force"), "{e}");
        }
        let plain = unknown_type("Type", "public", &DEFAULT);
        assert!(!plain.contains("current"), "{plain}");
    }

    #[test]
    fn today_notes_say_what_today_does_with_the_request() {
        assert_eq!(today_note("default", "items", 500, 500, 600), "");
        let stricter = today_note("default", "items", 500, 100, 501);
        assert!(stricter.contains("refuses it too"), "{stricter}");
        assert!(stricter.contains("at most 100 items"), "{stricter}");
        let looser = today_note("default", "bytes", 8000, 12000, 9000);
        assert!(looser.contains("so this would pass there"), "{looser}");
        let between = today_note("default", "bytes", 49, 48, 49);
        assert!(between.contains("over today's 48"), "{between}");
    }
}

//! Cutting text to a byte cap without splitting a character, for what the emulator keeps about
//! requests and callbacks (the request journal, the callback delivery log): a cut keeps the
//! first bytes, ends on a UTF-8 character boundary, and callers record the length it had.

/// The longest prefix of `s` that is at most `max` bytes and ends on a character boundary.
pub fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    // `str::floor_char_boundary` does this from Rust 1.91; the crate's floor is 1.88. A UTF-8
    // character is at most 4 bytes, so this steps back at most 3 times.
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Cuts `s` in place to [`prefix`]`(s, max)` and gives its spare memory back; returns the
/// length in bytes it had when it was cut, `None` when it was kept whole.
pub fn truncate(s: &mut String, max: usize) -> Option<usize> {
    if s.len() <= max {
        return None;
    }
    let full = s.len();
    let end = prefix(s, max).len();
    s.truncate(end);
    s.shrink_to_fit();
    Some(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_never_split_a_character() {
        let table = [
            ("abc", 5, "abc"),
            ("abc", 3, "abc"),
            ("abc", 2, "ab"),
            ("用用", 4, "用"),
            ("用用", 5, "用"),
            ("用用", 6, "用用"),
            ("a😀", 4, "a"),
            ("用", 0, ""),
        ];
        for (s, max, want) in table {
            assert_eq!(prefix(s, max), want, "{s:?} to {max}");
        }
    }

    #[test]
    fn truncate_reports_the_full_length_only_when_it_cuts() {
        let mut s = "x".repeat(10);
        assert_eq!(truncate(&mut s, 10), None);
        assert_eq!(truncate(&mut s, 4), Some(10));
        assert_eq!(s, "xxxx");
        assert!(s.capacity() < 10, "the spare memory is given back");
    }
}

//! The body checks of the common layer (SPEC §1), in one pass over the bytes that builds nothing:
//! the body must be JSON (60003) holding an object (60003), and account fields must be strings
//! (60015) at the top level, inside the objects of top-level arrays, and as the items of account
//! lists. Commands then deserialize the same bytes straight into their typed request, so no
//! intermediate JSON tree is built on the request path.
//!
//! An account-field error found early is only reported once the whole body is known to be JSON,
//! so a body that is both malformed and wrongly typed is 60003, as when the tree was built first.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::VendorError;

/// Account fields that must be strings wherever they appear (60015 otherwise; SPEC §1, spec
/// §10.7, messages §30.6).
const ACCOUNT_FIELDS: [&str; 9] = [
    "Owner_Account",
    "Member_Account",
    "UserID",
    "Identifier",
    "NewOwner_Account",
    "From_Account",
    "Modified_Account",
    "Sender_Account",
    "GroupAt_Account",
];

/// Top-level lists whose items are accounts (60015 for an item that is not a string).
const ACCOUNT_LISTS: [&str; 6] = [
    "Accounts",
    "To_Account",
    "ToMembers_Account",
    "MemberToDel_Account",
    "Members_Account",
    "User_Account",
];

/// Checks `bytes` as a vendor request body: 60003 unless it is one JSON object, then 60015 for
/// the first account field that is present but not a string.
pub fn check(bytes: &[u8]) -> Result<(), VendorError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(VendorError::BadJson(
            "the body is empty; send a JSON object".into(),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let found = de
        .deserialize_any(TopLevel)
        .and_then(|found| de.end().map(|()| found))
        .map_err(|e| {
            VendorError::BadJson(
                not_utf8(bytes).unwrap_or_else(|| format!("the body is not valid JSON: {e}")),
            )
        })?;
    match found {
        Found::NotObject(kind) => Err(VendorError::BadJson(format!(
            "the body must be a JSON object, not {kind}"
        ))),
        Found::Object(Some(field)) => Err(VendorError::AccountFieldType(field)),
        Found::Object(None) => Ok(()),
    }
}

/// The diagnosis for a body that is not UTF-8 (checked only once the JSON parse failed, so a
/// good body pays nothing): the byte offset, the bytes there, the likely encoding, the fix.
fn not_utf8(bytes: &[u8]) -> Option<String> {
    let e = std::str::from_utf8(bytes).err()?;
    let at = e.valid_up_to();
    let shown: Vec<String> = bytes[at..]
        .iter()
        .take(2)
        .map(|b| format!("0x{b:02X}"))
        .collect();
    Some(format!(
        "the body is not UTF-8: byte {at} ({}) starts no valid UTF-8 sequence{}; the body must be JSON encoded as UTF-8: convert the text before sending (e.g. getBytes(StandardCharsets.UTF_8), mb_convert_encoding($s, 'UTF-8', 'GBK'), s.encode('utf-8'))",
        shown.join(" "),
        likely_encoding(&bytes[at..])
    ))
}

/// A guess at the encoding from the bytes where UTF-8 failed: a GBK/GB18030 double byte (lead
/// 0x81..=0xFE, trail 0x40..=0xFE except 0x7F), else a single Latin-1/Windows-1252 byte.
fn likely_encoding(rest: &[u8]) -> &'static str {
    match rest {
        [lead, trail, ..]
            if (0x81..=0xFE).contains(lead) && (0x40..=0xFE).contains(trail) && *trail != 0x7F =>
        {
            " (it looks like GBK/GB18030, two bytes per Chinese character)"
        }
        [b, ..] if *b >= 0x80 => {
            " (it looks like Latin-1/Windows-1252, one byte per accented letter)"
        }
        _ => "",
    }
}

/// What the top level turned out to be.
enum Found {
    /// Not an object: its JSON type.
    NotObject(&'static str),
    /// An object, with the first account field of the wrong type (`MemberList[0].UserID (a
    /// number)`), if any.
    Object(Option<String>),
}

struct TopLevel;

impl<'de> Visitor<'de> for TopLevel {
    type Value = Found;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Found, E> {
        Ok(Found::NotObject("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Found, E> {
        Ok(Found::NotObject("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Found, E> {
        Ok(Found::NotObject("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Found, E> {
        Ok(Found::NotObject("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Found, E> {
        Ok(Found::NotObject("a string"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Found, E> {
        Ok(Found::NotObject("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Found, A::Error> {
        while seq.next_element::<Kind>()?.is_some() {}
        Ok(Found::NotObject("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found, A::Error> {
        let mut first = None;
        while let Some(key) = map.next_key::<Key>()? {
            let bad = match key {
                Key::Account(name) => map
                    .next_value::<Kind>()?
                    .not_string()
                    .map(|kind| format!("{name} ({kind})")),
                Key::Other(name, list_of_accounts) => map.next_value_seed(Items {
                    name: &name,
                    accounts: list_of_accounts,
                })?,
            };
            if first.is_none() {
                first = bad;
            }
        }
        Ok(Found::Object(first))
    }
}

/// An object key: an account field, or another name (borrowed from the body unless it holds
/// escapes) with whether it is an account list.
enum Key<'de> {
    Account(&'static str),
    Other(Cow<'de, str>, bool),
}

impl<'de> Key<'de> {
    fn of(k: Cow<'de, str>) -> Self {
        match ACCOUNT_FIELDS.iter().find(|f| **f == k) {
            Some(f) => Key::Account(f),
            None => {
                let list = ACCOUNT_LISTS.contains(&k.as_ref());
                Key::Other(k, list)
            }
        }
    }
}

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, k: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::of(Cow::Borrowed(k)))
            }
            fn visit_str<E: de::Error>(self, k: &str) -> Result<Key<'de>, E> {
                Ok(Key::of(Cow::Owned(k.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The JSON type of a value, which is consumed. Nested values are consumed through
/// `deserialize_any` too (not `IgnoredAny`), so serde_json's nesting limit (128) applies and a
/// body nested deeper is 60003, as when a JSON tree was built.
struct Kind(&'static str);

impl Kind {
    fn not_string(&self) -> Option<&'static str> {
        (self.0 != "a string" && self.0 != "null").then_some(self.0)
    }
}

impl<'de> de::Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Kind, E> {
        Ok(Kind("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Kind, E> {
        Ok(Kind("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Kind, E> {
        Ok(Kind("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Kind, E> {
        Ok(Kind("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Kind, E> {
        Ok(Kind("a string"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Kind, E> {
        Ok(Kind("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        while seq.next_element::<Kind>()?.is_some() {}
        Ok(Kind("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        while map.next_entry::<IgnoredAny, Kind>()?.is_some() {}
        Ok(Kind("an object"))
    }
}

/// A top-level value: when it is an array, its object items' account fields are checked, and
/// its items must be strings when it is an account list.
struct Items<'a> {
    name: &'a str,
    accounts: bool,
}

impl<'de> de::DeserializeSeed<'de> for Items<'_> {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, Kind>()?.is_some() {}
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut first = None;
        let mut i = 0;
        while let Some(item) = seq.next_element_seed(Item {
            accounts: self.accounts,
        })? {
            if first.is_none() {
                first = item.map(|(field, kind)| match field {
                    Some(field) => format!("{}[{i}].{field} ({kind})", self.name),
                    None => format!("{}[{i}] ({kind})", self.name),
                });
            }
            i += 1;
        }
        Ok(first)
    }
}

/// One item of a top-level array: `Some((field, kind))` for a wrong account field inside it
/// (`field` `None`: the item itself, in an account list).
struct Item {
    accounts: bool,
}

type ItemFault = Option<(Option<&'static str>, &'static str)>;

impl<'de> de::DeserializeSeed<'de> for Item {
    type Value = ItemFault;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ItemFault, D::Error> {
        d.deserialize_any(self)
    }
}

impl Item {
    fn scalar(&self, kind: &'static str) -> ItemFault {
        self.accounts.then_some((None, kind))
    }
}

impl<'de> Visitor<'de> for Item {
    type Value = ItemFault;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<ItemFault, E> {
        Ok(self.scalar("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<ItemFault, E> {
        Ok(self.scalar("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<ItemFault, E> {
        Ok(self.scalar("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<ItemFault, E> {
        Ok(self.scalar("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<ItemFault, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<ItemFault, E> {
        Ok(self.scalar("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ItemFault, A::Error> {
        while seq.next_element::<Kind>()?.is_some() {}
        Ok(self.scalar("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ItemFault, A::Error> {
        let mut first = None;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Account(field) => {
                    let kind = map.next_value::<Kind>()?;
                    if first.is_none() {
                        first = kind.not_string().map(|k| (Some(field), k));
                    }
                }
                Key::Other(..) => {
                    map.next_value::<Kind>()?;
                }
            }
        }
        // In an account list the object itself is the account that is not a string.
        Ok(self.scalar("an object").or(first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str) -> Result<(), u32> {
        check(body.as_bytes()).map_err(|e| e.code())
    }

    #[test]
    fn the_body_must_be_one_json_object() {
        let table = [
            ("{}", Ok(())),
            (" \n{\"a\": [1, {\"b\": null}]}\t", Ok(())),
            ("", Err(60003)),
            ("   ", Err(60003)),
            ("[]", Err(60003)),
            ("5", Err(60003)),
            ("\"x\"", Err(60003)),
            ("null", Err(60003)),
            ("{", Err(60003)),
            ("{} {}", Err(60003)),
            ("{\"a\": 1e999}", Err(60003)),
            ("{\"a\": \"\\ud800\"}", Err(60003)),
            (
                &format!("{{\"a\": {}1{}}}", "[".repeat(200), "]".repeat(200)),
                Err(60003),
            ),
            (
                &format!("{{\"a\": {}1{}}}", "[".repeat(100), "]".repeat(100)),
                Ok(()),
            ),
        ];
        for (body, want) in table {
            assert_eq!(code(body), want, "{body:?}");
        }
        let e = check(b"[1]").expect_err("an array");
        assert_eq!(
            e.to_string(),
            "the body must be a JSON object, not an array"
        );
    }

    #[test]
    fn account_fields_must_be_strings_anywhere_they_appear() {
        let table = [
            (r#"{"Owner_Account": "a"}"#, Ok(())),
            (r#"{"Owner_Account": 1}"#, Err(60015)),
            (r#"{"Owner_Account": null}"#, Ok(())),
            (r#"{"MemberList": [{"Member_Account": 5}]}"#, Err(60015)),
            (r#"{"CheckItem": [{"UserID": true}]}"#, Err(60015)),
            (r#"{"Identifier": []}"#, Err(60015)),
            (r#"{"Accounts": ["a", 2]}"#, Err(60015)),
            (r#"{"Accounts": ["a", "b"]}"#, Ok(())),
            (r#"{"NewOwner_Account": 5}"#, Err(60015)),
            (r#"{"From_Account": false}"#, Err(60015)),
            (r#"{"MemberToDel_Account": ["a", 1]}"#, Err(60015)),
            (r#"{"Members_Account": [null]}"#, Err(60015)),
            (r#"{"User_Account": ["a", "b"]}"#, Ok(())),
            (
                r#"{"MemberToDel_Account": [{"Member_Account": "a"}]}"#,
                Err(60015),
            ),
            (r#"{"Accounts": [{"UserID": "a"}]}"#, Err(60015)),
            (r#"{"MemberList": [{"Member_Account": "a"}]}"#, Ok(())),
            (r#"{"Other": [1, "x", {"Nested": {"UserID": 5}}]}"#, Ok(())),
            (r#"{"Owner_Accoun\u0074": 5}"#, Err(60015)),
        ];
        for (body, want) in table {
            assert_eq!(code(body), want, "{body}");
        }
    }

    #[test]
    fn the_message_names_the_place_and_the_type() {
        let e = check(br#"{"MemberList": [{"Member_Account": "a"}, {"Member_Account": 5}]}"#)
            .expect_err("60015");
        assert!(
            e.to_string()
                .starts_with("MemberList[1].Member_Account (a number)"),
            "{e}"
        );
        let e = check(br#"{"Accounts": ["a", []]}"#).expect_err("60015");
        assert!(e.to_string().starts_with("Accounts[1] (an array)"), "{e}");
    }

    #[test]
    fn a_body_that_is_not_utf8_is_60003_with_the_offset_and_encoding() {
        // {"Name":"中文"} in GBK: 中 = D6 D0, 文 = CE C4.
        let gbk = b"{\"Name\":\"\xD6\xD0\xCE\xC4\"}";
        let e = check(gbk).expect_err("GBK");
        assert_eq!(e.code(), 60003);
        let info = e.to_string();
        assert!(info.contains("byte 9 (0xD6 0xD0)"), "{info}");
        assert!(
            info.contains("GBK") && info.contains("must be JSON encoded as UTF-8"),
            "{info}"
        );
        // {"Name":"café"} in Latin-1: é = E9.
        let latin1 = b"{\"Name\":\"caf\xE9\"}";
        let info = check(latin1).expect_err("Latin-1").to_string();
        assert!(
            info.contains("byte 12 (0xE9 0x22)") && info.contains("Latin-1"),
            "{info}"
        );
    }

    #[test]
    fn malformed_json_wins_over_an_account_field_seen_before_it() {
        assert_eq!(code(r#"{"Owner_Account": 1, "x": }"#), Err(60003));
    }
}

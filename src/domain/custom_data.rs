//! Custom data (`AppDefinedData`, `AppMemberDefinedData`): `{Key, Value}` lists and their rules.

use serde::{Deserialize, Serialize};

use crate::apps::FieldPolicy;
use crate::diagnose;
use crate::error::VendorError;
use crate::rules::RulesProfile;

/// Group-level or member-level custom data: they differ in the Value limit and the permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomKind {
    /// `AppDefinedData` of the group.
    Group,
    /// `AppMemberDefinedData` of a member.
    Member,
}

/// One validated custom field: key and value, the value any text (binary included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomEntry {
    /// The field key.
    #[serde(rename = "Key")]
    pub key: String,
    /// The field value.
    #[serde(rename = "Value")]
    pub value: String,
}

/// Who writes the data, for the permission checks of configured apps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// An App admin writes for someone else (or for the group).
    Admin,
    /// The entry is the owner's own member entry (10008 for fields not self-writable).
    OwnerSelf,
}

/// One `{Key, Value}` item as the wire gives it (both required; checked by [`parse`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CustomItem {
    /// `Key`.
    #[serde(rename = "Key")]
    pub key: Option<String>,
    /// `Value`.
    #[serde(rename = "Value")]
    pub value: Option<String>,
    /// Whether the item spelled `key` or `value` in lower case: the names are case-sensitive,
    /// so such an item has no `Key`; the flag only picks the diagnosis (a JSON mapper that
    /// lower-cases field names; doocs/qcloud-im-server-sdk-java issue 142).
    #[serde(default, rename = "key", deserialize_with = "present")]
    pub lowercase_key: bool,
    /// As `lowercase_key`, for `value`.
    #[serde(default, rename = "value", deserialize_with = "present")]
    pub lowercase_value: bool,
}

/// `true` for any value that is present (it is consumed without being kept).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

/// Validates a custom-data list named `field`: key and value lengths, repeats, then the app's
/// permissions (unknown key 10004, not writable 10007, not self-writable 10008).
pub fn parse(
    items: Vec<CustomItem>,
    field: &str,
    kind: CustomKind,
    rules: &RulesProfile,
    policy: &FieldPolicy,
    writer: Writer,
) -> Result<Vec<CustomEntry>, VendorError> {
    let mut out: Vec<CustomEntry> = Vec::with_capacity(items.len());
    let mut seen = rustc_hash::FxHashSet::default();
    for (i, item) in items.into_iter().enumerate() {
        let entry = parse_entry(item, field, i, kind, rules)?;
        if !seen.insert(entry.key.clone()) {
            return Err(invalid(format!("{field} repeats the Key {:?}", entry.key)));
        }
        check_permission(&entry.key, field, policy, writer)?;
        out.push(entry);
    }
    Ok(out)
}

/// [`parse`] for the custom data of a new group or member (create_group, import_group): at
/// most the rules profile's key count for `kind` (10 per group, 5 per member; spec §25), else
/// 10004 naming the field, the count and the limit. The count is checked before any item, so
/// a huge list costs nothing more than its JSON parse.
pub fn parse_new(
    items: Vec<CustomItem>,
    field: &str,
    kind: CustomKind,
    rules: &RulesProfile,
    policy: &FieldPolicy,
    writer: Writer,
) -> Result<Vec<CustomEntry>, VendorError> {
    let max = max_keys(kind, rules);
    if max != 0 && items.len() > max {
        let (n, whose) = (items.len(), kind.whose());
        return Err(invalid(format!(
            "{field} has {n} items; {whose} may hold at most {max} custom keys"
        )));
    }
    parse(items, field, kind, rules, policy, writer)
}

/// The most keys the rules profile lets one group or member store (0 = no limit).
fn max_keys(kind: CustomKind, rules: &RulesProfile) -> usize {
    match kind {
        CustomKind::Group => rules.group_custom_keys_max,
        CustomKind::Member => rules.member_custom_keys_max,
    }
}

impl CustomKind {
    fn whose(self) -> &'static str {
        match self {
            Self::Group => "a group",
            Self::Member => "a member",
        }
    }
}

fn parse_entry(
    item: CustomItem,
    field: &str,
    i: usize,
    kind: CustomKind,
    rules: &RulesProfile,
) -> Result<CustomEntry, VendorError> {
    if item.key.is_none() && (item.lowercase_key || item.lowercase_value) {
        return Err(invalid(format!(
            "{field}[{i}] has no Key: it spells \"key\"/\"value\" in lower case, and the field \
             names are case-sensitive (\"Key\", \"Value\"); a JSON mapper that lower-cases \
             field names (Jackson's or fastjson's default for a bean with getKey()/getValue()) sends \
             this, and the real service answers 10004 for it; give the names explicitly, e.g. \
             @JsonProperty(\"Key\")"
        )));
    }
    let key = item
        .key
        .ok_or_else(|| invalid(format!("{field}[{i}] has no Key")))?;
    let value = item
        .value
        .ok_or_else(|| invalid(format!("{field}[{i}] has no Value")))?;
    if key.is_empty() {
        return Err(invalid(format!("{field}[{i}].Key is empty")));
    }
    let key_max = rules.custom_key_max_bytes;
    if key.len() > key_max {
        return Err(invalid(diagnose::too_long(
            &format!("{field}[{i}].Key"),
            &key,
            key_max,
        )));
    }
    if rules.custom_key_word_chars
        && let Some((at, c)) = key
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(invalid(format!(
            "{field}[{i}].Key {key:?} holds {c:?} at byte {at}; under the {} rules profile a custom-field key is letters, digits and '_' only ([A-Za-z0-9_], as the console lets an app define them)",
            rules.name
        )));
    }
    let value_max = match kind {
        CustomKind::Group => rules.group_value_max_bytes,
        CustomKind::Member => rules.member_value_max_bytes,
    };
    if value.len() > value_max {
        return Err(invalid(diagnose::too_long(
            &format!("{field}[{i}].Value of Key {key:?}"),
            &value,
            value_max,
        )));
    }
    Ok(CustomEntry { key, value })
}

/// Applies validated `changes` to stored `entries`: a `Value` of `""` deletes its key, any
/// other value sets it (a changed key keeps its place, a new one goes last). 10004, and nothing
/// changes, when more than `max_keys` keys would be stored. Returns whether anything changed.
/// Each change is one hash lookup, so a list of any length costs time in proportion to it.
pub fn apply_changes(
    entries: &mut Vec<CustomEntry>,
    changes: &[CustomEntry],
    field: &str,
    max_keys: usize,
) -> Result<bool, VendorError> {
    let next = {
        // Slots in order; a deleted key leaves a hole and is forgotten by `at`, so setting it
        // again puts it last.
        let mut slots: Vec<Option<CustomEntry>> = entries.iter().cloned().map(Some).collect();
        let mut at: rustc_hash::FxHashMap<&str, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key.as_str(), i))
            .collect();
        let mut live = slots.len();
        for c in changes {
            match (at.get(c.key.as_str()).copied(), c.value.is_empty()) {
                (Some(i), true) => {
                    slots[i] = None;
                    at.remove(c.key.as_str());
                    live -= 1;
                }
                (Some(i), false) => {
                    if let Some(e) = slots[i].as_mut() {
                        e.value.clone_from(&c.value);
                    }
                }
                (None, true) => {}
                (None, false) => {
                    at.insert(c.key.as_str(), slots.len());
                    slots.push(Some(c.clone()));
                    live += 1;
                }
            }
        }
        if max_keys != 0 && live > max_keys {
            return Err(invalid(format!(
                "{field} would hold {live} keys; at most {max_keys} may be stored (delete one with an empty Value)"
            )));
        }
        slots.into_iter().flatten().collect::<Vec<CustomEntry>>()
    };
    let changed = next != *entries;
    *entries = next;
    Ok(changed)
}

/// The custom data `stored` becomes with `changes` (already checked for form): the app's
/// permissions for every key changed (unknown key 10004, not writable 10007; deleting is a
/// write too), then [`apply_changes`] on a copy under the key cap. Nothing is written here, so a
/// refusal changes nothing.
pub fn plan_changes(
    stored: &[CustomEntry],
    changes: &[CustomEntry],
    field: &str,
    kind: CustomKind,
    rules: &RulesProfile,
    policy: &FieldPolicy,
) -> Result<Vec<CustomEntry>, VendorError> {
    let mut next = stored.to_vec();
    if changes.is_empty() {
        return Ok(next);
    }
    let items = changes.iter().map(|e| CustomItem {
        key: Some(e.key.clone()),
        value: Some(e.value.clone()),
        ..CustomItem::default()
    });
    parse(items.collect(), field, kind, rules, policy, Writer::Admin)?;
    apply_changes(&mut next, changes, field, max_keys(kind, rules))?;
    Ok(next)
}

fn check_permission(
    key: &str,
    field: &str,
    policy: &FieldPolicy,
    writer: Writer,
) -> Result<(), VendorError> {
    let Some(perm) = policy.perm(key) else {
        return Err(invalid(format!(
            "{field} Key {key:?} is not enabled for this app; add it to the app's custom fields"
        )));
    };
    if !perm.writable {
        return Err(VendorError::PermissionDenied(format!(
            "{field} Key {key:?} is configured as not writable"
        )));
    }
    if writer == Writer::OwnerSelf && !perm.self_writable {
        return Err(VendorError::IllegalRequest(format!(
            "{field} Key {key:?} may not be written by the member themself, and this is the owner's own entry"
        )));
    }
    Ok(())
}

fn invalid(msg: String) -> VendorError {
    VendorError::InvalidParameter(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::FieldPerm;
    use crate::rules::DEFAULT;
    use serde_json::{Value, json};
    use std::collections::HashMap;

    fn items(v: &Value) -> Result<Vec<CustomItem>, u32> {
        crate::domain::wire::from_value(v, "AppDefinedData").map_err(|_| 10004)
    }

    fn run(v: Value, kind: CustomKind) -> Result<Vec<CustomEntry>, u32> {
        parse(
            items(&v)?,
            "AppDefinedData",
            kind,
            &DEFAULT,
            &FieldPolicy::Any,
            Writer::Admin,
        )
        .map_err(|e| e.code())
    }

    fn kv(k: &str, v: &str) -> Value {
        json!({"Key": k, "Value": v})
    }

    #[test]
    fn key_and_value_limits_hold_on_both_sides_in_bytes() {
        let k16 = "k".repeat(16);
        let k17 = "k".repeat(17);
        let cjk_key_15 = "键".repeat(5); // 15 bytes
        let cjk_key_18 = "键".repeat(6); // 18 bytes
        let table: Vec<(Value, CustomKind, Result<usize, u32>)> = vec![
            (json!([kv(&k16, "v")]), CustomKind::Group, Ok(1)),
            (json!([kv(&k17, "v")]), CustomKind::Group, Err(10004)),
            (json!([kv(&cjk_key_15, "v")]), CustomKind::Group, Ok(1)),
            (json!([kv(&cjk_key_18, "v")]), CustomKind::Group, Err(10004)),
            (json!([kv("k", &"v".repeat(512))]), CustomKind::Group, Ok(1)),
            (
                json!([kv("k", &"v".repeat(513))]),
                CustomKind::Group,
                Err(10004),
            ),
            (json!([kv("k", &"v".repeat(64))]), CustomKind::Member, Ok(1)),
            (
                json!([kv("k", &"v".repeat(65))]),
                CustomKind::Member,
                Err(10004),
            ),
            (
                json!([kv("k", &format!("{}a", "值".repeat(21)))]),
                CustomKind::Member,
                Ok(1),
            ), // 64 bytes
            (
                json!([kv("k", &format!("{}ab", "值".repeat(21)))]),
                CustomKind::Member,
                Err(10004),
            ), // 65
            (json!([kv("", "v")]), CustomKind::Group, Err(10004)),
            (
                json!([kv("a", "1"), kv("a", "2")]),
                CustomKind::Group,
                Err(10004),
            ),
            (json!([{"Key": "a"}]), CustomKind::Group, Err(10004)),
            (json!([{"Value": "a"}]), CustomKind::Group, Err(10004)),
            (
                json!([{"Key": 1, "Value": "a"}]),
                CustomKind::Group,
                Err(10004),
            ),
            (
                json!([{"Key": "a", "Value": 1}]),
                CustomKind::Group,
                Err(10004),
            ),
            (json!(["a"]), CustomKind::Group, Err(10004)),
            (json!([kv("a", "abc\u{0}\u{1}")]), CustomKind::Group, Ok(1)),
        ];
        for (items, kind, want) in table {
            let got = run(items.clone(), kind).map(|v| v.len());
            assert_eq!(got, want, "{items}");
        }
    }

    fn entry(k: &str, v: &str) -> CustomEntry {
        CustomEntry {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn changes_set_replace_and_delete_keys_up_to_the_limit() {
        let mut stored = vec![entry("a", "1"), entry("b", "2")];
        let changed = apply_changes(
            &mut stored,
            &[
                entry("a", "9"),
                entry("b", ""),
                entry("c", "3"),
                entry("x", ""),
            ],
            "AppDefinedData",
            10,
        );
        assert_eq!(changed, Ok(true));
        assert_eq!(stored, vec![entry("a", "9"), entry("c", "3")]);
        assert_eq!(
            apply_changes(&mut stored, &[entry("a", "9")], "F", 10),
            Ok(false)
        );
        let full: Vec<CustomEntry> = (0..10).map(|i| entry(&format!("k{i}"), "v")).collect();
        let mut ten = full.clone();
        assert_eq!(
            apply_changes(&mut ten, &[entry("k11", "v")], "F", 10).map_err(|e| e.code()),
            Err(10004),
            "an 11th key"
        );
        assert_eq!(ten, full, "a refused change changes nothing");
        assert_eq!(
            apply_changes(&mut ten, &[entry("k0", ""), entry("k11", "v")], "F", 10),
            Ok(true)
        );
    }

    fn keys(n: usize) -> Vec<CustomItem> {
        (0..n)
            .map(|i| CustomItem {
                key: Some(format!("k{i}")),
                value: Some("v".into()),
                ..CustomItem::default()
            })
            .collect()
    }

    #[test]
    fn new_custom_data_holds_at_most_the_profile_key_counts() {
        let new = |n: usize, kind: CustomKind| {
            parse_new(
                keys(n),
                "F",
                kind,
                &DEFAULT,
                &FieldPolicy::Any,
                Writer::Admin,
            )
            .map(|v| v.len())
            .map_err(|e| (e.code(), e.to_string()))
        };
        assert_eq!(new(10, CustomKind::Group), Ok(10));
        assert_eq!(new(5, CustomKind::Member), Ok(5));
        let (code, text) = new(11, CustomKind::Group).expect_err("an 11th group key");
        assert_eq!(code, 10004);
        assert!(
            text.contains("F has 11 items") && text.contains("at most 10"),
            "{text}"
        );
        let (code, text) = new(6, CustomKind::Member).expect_err("a 6th member key");
        assert_eq!(code, 10004);
        assert!(
            text.contains("6 items") && text.contains("at most 5"),
            "{text}"
        );
    }

    #[test]
    fn a_change_list_of_forty_thousand_keys_is_refused_by_the_key_cap() {
        let many: Vec<CustomEntry> = (0..40_000).map(|i| entry(&format!("k{i}"), "v")).collect();
        let mut stored = vec![entry("a", "1")];
        let got = apply_changes(&mut stored, &many, "AppDefinedData", 10).map_err(|e| e.code());
        assert_eq!(got, Err(10004));
        assert_eq!(stored, vec![entry("a", "1")]);
        let mut churn: Vec<CustomEntry> = many.clone();
        churn.extend(many.iter().map(|e| entry(&e.key, "")));
        assert_eq!(apply_changes(&mut stored, &churn, "F", 10), Ok(false));
    }

    #[test]
    fn configured_permissions_give_10004_10007_and_10008() {
        let mut map = HashMap::new();
        map.insert(
            "open".to_string(),
            FieldPerm {
                writable: true,
                self_writable: true,
            },
        );
        map.insert(
            "locked".to_string(),
            FieldPerm {
                writable: false,
                self_writable: false,
            },
        );
        map.insert(
            "noself".to_string(),
            FieldPerm {
                writable: true,
                self_writable: false,
            },
        );
        let policy = FieldPolicy::Only(map);
        let check = |k: &str, w: Writer| {
            let list = items(&json!([kv(k, "v")])).expect("well-typed");
            parse(list, "F", CustomKind::Member, &DEFAULT, &policy, w)
                .map(|_| ())
                .map_err(|e| e.code())
        };
        assert_eq!(check("open", Writer::OwnerSelf), Ok(()));
        assert_eq!(check("unknown", Writer::Admin), Err(10004));
        assert_eq!(check("locked", Writer::Admin), Err(10007));
        assert_eq!(check("noself", Writer::Admin), Ok(()));
        assert_eq!(check("noself", Writer::OwnerSelf), Err(10008));
    }
}

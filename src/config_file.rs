//! The TOML config file of apps (SPEC §9): keys, admins, custom fields, limits, callbacks.
//!
//! Parsing is strict: an unknown key, a wrong type or an impossible value stops startup with a
//! message naming the file, the line and the key, so a typo never silently turns a rule off.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::apps::{
    AppPolicy, CallbackConfig, FieldPerm, FieldPolicy, LimitOverrides, Limits, ZERO_CONFIG_ADMINS,
};
use crate::callback::events::ALL_EVENTS;
use crate::emulator::FieldNames;
use crate::rules::{Edition, RulesProfile};

/// The default wait for the before-create callback.
pub const DEFAULT_CALLBACK_TIMEOUT_MS: u64 = 2000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    apps: Vec<AppDoc>,
    /// Top-level settings (spec §25); the flags of the same name win when given.
    field_names: Option<FieldNames>,
    private_groups_start_active: Option<bool>,
}

/// The top-level settings of a config file (spec §25): each `None` when the file leaves it out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileSettings {
    /// `field_names = "both" | "current" | "legacy"`.
    pub field_names: Option<FieldNames>,
    /// `private_groups_start_active = true | false`.
    pub private_groups_start_active: Option<bool>,
}

/// The top-level settings of config text (the apps are read by [`parse`]).
pub fn settings(text: &str) -> Result<FileSettings, String> {
    let doc: FileDoc = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
    Ok(FileSettings {
        field_names: doc.field_names,
        private_groups_start_active: doc.private_groups_start_active,
    })
}

/// The top-level settings of the file at `path` (see [`settings`]).
pub fn load_settings(path: &Path) -> Result<FileSettings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError(format!(
            "config file {}: cannot be read: {e}",
            path.display()
        ))
    })?;
    settings(&text).map_err(|e| ConfigError(format!("config file {}: {e}", path.display())))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppDoc {
    sdkappid: Spanned<u64>,
    key: Option<Spanned<String>>,
    admins: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    sensitive_words: Vec<String>,
    group_custom_fields: Option<Vec<FieldDoc>>,
    member_custom_fields: Option<Vec<FieldDoc>>,
    limits: Option<LimitOverrides>,
    callback: Option<CallbackDoc>,
    features: Option<crate::apps::Features>,
    rules_profile: Option<Spanned<String>>,
    edition: Option<Spanned<String>>,
    /// `[apps.rules]`: the switches of spec §40.7.
    rules: Option<crate::apps::SwitchOverrides>,
    /// Accounts imported at start and after every reset (issue 14).
    #[serde(default)]
    accounts: Vec<DeclaredAccount>,
}

/// One entry of `accounts = [...]`: a bare UserID, or a table with the state document's
/// account fields (`{UserID = "bob", Nick = "Bob", FaceUrl = "..."}`).
#[derive(Debug)]
enum DeclaredAccount {
    Id(String),
    Full(crate::snapshot::AccountDoc),
}

/// By hand rather than `untagged`, so a typo in a table names the key instead of saying that
/// no variant matched.
impl<'de> Deserialize<'de> for DeclaredAccount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entry;
        impl<'de> serde::de::Visitor<'de> for Entry {
            type Value = DeclaredAccount;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a UserID string or a table {UserID, Nick, FaceUrl}")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(DeclaredAccount::Id(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                let de = serde::de::value::MapAccessDeserializer::new(map);
                crate::snapshot::AccountDoc::deserialize(de).map(DeclaredAccount::Full)
            }
        }
        d.deserialize_any(Entry)
    }
}

impl DeclaredAccount {
    fn into_doc(self) -> crate::snapshot::AccountDoc {
        match self {
            Self::Full(doc) => doc,
            Self::Id(id) => crate::snapshot::AccountDoc {
                UserID: id,
                Nick: String::new(),
                FaceUrl: String::new(),
                kicked_at: None,
            },
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldDoc {
    key: Spanned<String>,
    #[serde(default = "yes")]
    writable: bool,
    #[serde(default = "yes")]
    self_writable: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbackDoc {
    url: Spanned<String>,
    events: Option<Spanned<Vec<String>>>,
    token: Option<String>,
    timeout_ms: Option<u64>,
    #[serde(default)]
    fail_closed: bool,
    #[serde(default)]
    before_send_msg_on_failure: OnFailure,
}

/// What a failed before-send callback does (spec §39.1).
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum OnFailure {
    /// Send the original message (the vendor default).
    #[default]
    Deliver,
    /// Refuse with 80003.
    Block,
}

/// A config file that could not be used; the text names the file, the line and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

/// What an app takes when its table does not say: the profile and edition of the flags, and
/// the limits the flags set (spec §9, §40.1).
#[derive(Debug, Clone, Copy)]
pub struct AppDefaults {
    /// `--rules-profile`.
    pub profile: &'static str,
    /// `--edition`.
    pub edition: Edition,
    /// The limit flags given (each `None` when not given).
    pub flags: LimitOverrides,
    /// `--no-limits`: every limit off.
    pub no_limits: bool,
}

/// Reads and checks the file at `path` (see [`parse_with`]).
pub fn load_with(
    path: &Path,
    defaults: &AppDefaults,
) -> Result<HashMap<u64, AppPolicy>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError(format!(
            "config file {}: cannot be read: {e}",
            path.display()
        ))
    })?;
    parse_with(&text, defaults)
        .map_err(|e| ConfigError(format!("config file {}: {e}", path.display())))
}

/// Reads and checks the file at `path`. `limits` are the defaults each app's `[apps.limits]`
/// overrides; with `no_limits` every limit stays off. Apps take the default profile unless
/// they name one.
pub fn load(
    path: &Path,
    limits: Limits,
    no_limits: bool,
) -> Result<HashMap<u64, AppPolicy>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError(format!(
            "config file {}: cannot be read: {e}",
            path.display()
        ))
    })?;
    parse(&text, limits, no_limits)
        .map_err(|e| ConfigError(format!("config file {}: {e}", path.display())))
}

/// Parses config text (see [`load`]).
pub fn parse(
    text: &str,
    limits: Limits,
    no_limits: bool,
) -> Result<HashMap<u64, AppPolicy>, String> {
    let defaults = AppDefaults {
        profile: "default",
        edition: Edition::Ultimate,
        flags: LimitOverrides::of(limits),
        no_limits,
    };
    parse_with(text, &defaults)
}

/// Parses config text: each `[[apps]]` table with its own `rules_profile` and `edition` when
/// it names them, else `defaults`'; its limits are its profile's, then the flags', then its
/// `[apps.limits]`.
pub fn parse_with(text: &str, defaults: &AppDefaults) -> Result<HashMap<u64, AppPolicy>, String> {
    let doc: FileDoc = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
    let mut apps = HashMap::new();
    for (i, app) in doc.apps.into_iter().enumerate() {
        let at = |span: Range<usize>, key: &str| {
            format!(
                "line {}, [[apps]] #{} key `{key}`",
                line_of(text, span.start),
                i + 1
            )
        };
        let id = *app.sdkappid.get_ref();
        if id == 0 {
            return Err(format!(
                "{}: sdkappid must be a positive integer",
                at(app.sdkappid.span(), "sdkappid")
            ));
        }
        let policy = app_policy(app, text, i, defaults)?;
        if apps.insert(id, policy).is_some() {
            return Err(format!(
                "[[apps]] #{}: sdkappid {id} is configured twice",
                i + 1
            ));
        }
    }
    Ok(apps)
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

fn app_policy(
    app: AppDoc,
    text: &str,
    i: usize,
    defaults: &AppDefaults,
) -> Result<AppPolicy, String> {
    let at = |span: Range<usize>, key: &str| {
        format!(
            "line {}, [[apps]] #{} key `{key}`",
            line_of(text, span.start),
            i + 1
        )
    };
    let key = match app.key {
        Some(k) if k.get_ref().is_empty() => {
            return Err(format!(
                "{}: the secret key must not be empty",
                at(k.span(), "key")
            ));
        }
        Some(k) => Some(k.into_inner()),
        None => None,
    };
    let admins = match app.admins {
        Some(a) if a.get_ref().iter().any(String::is_empty) => {
            return Err(format!(
                "{}: admin identifiers must not be empty",
                at(a.span(), "admins")
            ));
        }
        Some(a) => a.into_inner(),
        None => ZERO_CONFIG_ADMINS.iter().map(|s| s.to_string()).collect(),
    };
    let group_fields = fields(app.group_custom_fields, "group_custom_fields", &at)?;
    let member_fields = fields(app.member_custom_fields, "member_custom_fields", &at)?;
    let callback = app.callback.map(|c| callback(c, &at)).transpose()?;
    let edition = match &app.edition {
        None => defaults.edition,
        Some(e) => Edition::parse(e.get_ref()).ok_or_else(|| {
            format!(
                "{}: unknown edition {:?}; valid: {}",
                at(e.span(), "edition"),
                e.get_ref(),
                Edition::CHOICES
            )
        })?,
    };
    let profile = app
        .rules_profile
        .as_ref()
        .map_or(defaults.profile, |p| p.get_ref().as_str());
    let rules = RulesProfile::select(profile, edition).ok_or_else(|| {
        let span = app.rules_profile.as_ref().map_or(0..0, |p| p.span());
        format!(
            "{}: unknown rules profile {profile:?}; valid: {}",
            at(span, "rules_profile"),
            crate::rules::PROFILE_CHOICES
        )
    })?;
    let overrides = app.limits.unwrap_or_default();
    let messages = crate::apps::MessageRules::new(rules, &overrides);
    let limits = Limits::from_profile(rules).with(defaults.flags.then(overrides));
    let limits = if defaults.no_limits {
        limits.without_quotas(rules)
    } else {
        limits
    };
    let switches = crate::apps::RuleSwitches::new(rules, &app.rules.unwrap_or_default());
    let sensitive_words = app
        .sensitive_words
        .into_iter()
        .filter(|w| !w.is_empty())
        .collect();
    Ok(AppPolicy {
        key,
        admins,
        sensitive_words,
        group_fields,
        member_fields,
        limits,
        callback,
        rules,
        messages,
        features: app.features.unwrap_or_default(),
        switches,
        accounts: app
            .accounts
            .into_iter()
            .map(DeclaredAccount::into_doc)
            .collect(),
    })
}

fn fields(
    list: Option<Vec<FieldDoc>>,
    name: &str,
    at: &dyn Fn(Range<usize>, &str) -> String,
) -> Result<FieldPolicy, String> {
    let mut map = HashMap::new();
    for f in list.unwrap_or_default() {
        let span = f.key.span();
        let key = f.key.into_inner();
        if key.is_empty() || key.len() > 16 {
            return Err(format!(
                "{}: a custom field key must be 1 to 16 bytes, {key:?} is {}",
                at(span, name),
                key.len()
            ));
        }
        let perm = FieldPerm {
            writable: f.writable,
            self_writable: f.self_writable,
        };
        if map.insert(key.clone(), perm).is_some() {
            return Err(format!(
                "{}: the key {key:?} is listed twice",
                at(span, name)
            ));
        }
    }
    Ok(FieldPolicy::Only(map))
}

fn callback(
    c: CallbackDoc,
    at: &dyn Fn(Range<usize>, &str) -> String,
) -> Result<CallbackConfig, String> {
    let url = c.url.get_ref();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!(
            "{}: the callback url must start with http:// or https://",
            at(c.url.span(), "callback.url")
        ));
    }
    let events = match c.events {
        None => ALL_EVENTS.iter().map(|e| e.to_string()).collect(),
        Some(events) => {
            if let Some(bad) = events
                .get_ref()
                .iter()
                .find(|e| !ALL_EVENTS.contains(&e.as_str()))
            {
                let known = ALL_EVENTS.join(", ");
                return Err(format!(
                    "{}: unknown event {bad:?}; known: {known}",
                    at(events.span(), "callback.events")
                ));
            }
            events.into_inner()
        }
    };
    let timeout_ms =
        crate::apps::check_callback_timeout(c.timeout_ms.unwrap_or(DEFAULT_CALLBACK_TIMEOUT_MS))
            .map_err(|e| format!("{}: {e}", at(c.url.span(), "callback.timeout_ms")))?;
    Ok(CallbackConfig {
        url: c.url.into_inner(),
        events,
        token: c.token.filter(|t| !t.is_empty()),
        timeout_ms,
        fail_closed: c.fail_closed,
        block_send_on_failure: matches!(c.before_send_msg_on_failure, OnFailure::Block),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        create_group_per_second: 100,
        other_per_second: 200,
        daily_group_creations: 10_000,
        bchatroom_max: 5,
        add_group_member_batch: 500,
        delete_group_member_batch: 500,
        import_group_member_batch: 300,
        groups_per_user: 0,
        group_msgs_per_second_per_group: 40,
        // The rest are 0 (off) in the example file, as in the unlimited set.
        ..Limits::UNLIMITED
    };

    fn example() -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/config/example.toml");
        std::fs::read_to_string(path).expect("the example config is in the repo")
    }

    #[test]
    fn the_example_file_loads_every_key() {
        let apps = parse(&example(), LIMITS, false).expect("example parses");
        let app = &apps[&1_400_000_000];
        assert_eq!(
            app.key.as_deref(),
            Some("5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e")
        );
        assert!(app.is_admin("administrator") && app.is_admin("admin"));
        assert_eq!(app.sensitive_words, vec!["forbidden-word".to_string()]);
        assert_eq!(
            app.group_fields.perm("ReadOnlyField"),
            Some(FieldPerm {
                writable: false,
                self_writable: true
            })
        );
        assert_eq!(
            app.member_fields
                .perm("MemberDefined2")
                .map(|p| p.self_writable),
            Some(false)
        );
        assert_eq!(app.group_fields.perm("Other"), None);
        let cb = app.callback.as_ref().expect("callback configured");
        assert_eq!(
            (cb.timeout_ms, cb.token.as_deref()),
            (2000, Some("optional-token"))
        );
        let second = &apps[&1_400_000_001];
        assert_eq!(second.key, None);
        assert_eq!(
            second.member_fields.perm("Any"),
            None,
            "no custom fields configured means none accepted"
        );
    }

    #[test]
    fn top_level_settings_are_read_and_checked() {
        let s = settings("field_names = \"legacy\"\nprivate_groups_start_active = true\n")
            .expect("valid");
        assert_eq!(s.field_names, Some(FieldNames::Legacy));
        assert_eq!(s.private_groups_start_active, Some(true));
        assert_eq!(settings("").expect("empty"), FileSettings::default());
        let e = settings("field_names = \"loud\"\n").expect_err("unknown value");
        assert!(e.contains("field_names") || e.contains("loud"), "{e}");
    }

    #[test]
    fn each_app_may_name_its_profile_and_edition_and_a_bad_one_names_the_line() {
        let defaults = AppDefaults {
            profile: "default",
            edition: Edition::Ultimate,
            flags: LimitOverrides::default(),
            no_limits: false,
        };
        let text = "[[apps]]\nsdkappid = 1\n\n[[apps]]\nsdkappid = 2\nrules_profile = \"current\"\nedition = \"pro\"\n[apps.limits]\nimport_group_member_batch = 9\n";
        let apps = parse_with(text, &defaults).expect("parses");
        assert_eq!(apps[&1].rules.name, "default");
        assert_eq!(apps[&1].limits.add_group_member_batch, 500);
        assert_eq!(apps[&2].rules.name, "current");
        assert_eq!(apps[&2].rules.edition, Some(Edition::Pro));
        assert_eq!(apps[&2].limits.add_group_member_batch, 20);
        assert_eq!(apps[&2].limits.import_group_member_batch, 9);
        assert_eq!(apps[&2].limits.groups_per_user, 500);
        for (text, needles) in [
            (
                "[[apps]]\nsdkappid = 1\nrules_profile = \"today\"\n",
                &["line 3", "rules_profile", "valid: default, current"][..],
            ),
            (
                "[[apps]]\nsdkappid = 1\nedition = \"gold\"\n",
                &[
                    "line 3",
                    "edition",
                    "valid: trial (aliases free, developer)",
                ][..],
            ),
        ] {
            let e = parse_with(text, &defaults).expect_err(text);
            for n in needles {
                assert!(e.contains(n), "{e} lacks {n}");
            }
        }
    }

    #[test]
    fn app_limits_override_the_defaults_and_no_limits_wins() {
        let text = "[[apps]]\nsdkappid = 1\n[apps.limits]\nbchatroom_max = 1\n";
        let apps = parse(text, LIMITS, false).expect("parses");
        assert_eq!(apps[&1].limits.bchatroom_max, 1);
        assert_eq!(apps[&1].limits.create_group_per_second, 100);
        let apps = parse(text, LIMITS, true).expect("parses");
        assert_eq!(apps[&1].limits, Limits::UNLIMITED);
    }

    #[test]
    fn an_empty_file_configures_no_app() {
        assert!(parse("", LIMITS, false).expect("empty parses").is_empty());
    }

    #[test]
    fn bad_files_name_the_line_and_the_key() {
        let table = [
            (
                "[[apps]]\nsdkappid = 1\nkye = \"x\"\n",
                &["line 3", "kye"][..],
            ),
            ("[[apps]]\nsdkappid = \"one\"\n", &["line 2", "sdkappid"]),
            ("[[apps]]\nsdkappid = 0\n", &["line 2", "sdkappid"]),
            (
                "[[apps]]\nsdkappid = 1\n\n[[apps]]\nsdkappid = 1\n",
                &["configured twice"],
            ),
            ("[[apps]]\nsdkappid = 1\nkey = \"\"\n", &["line 3", "key"]),
            (
                "[[apps]]\nsdkappid = 1\ngroup_custom_fields = [{ key = \"seventeen-bytes-k\" }]\n",
                &["line 3", "group_custom_fields"],
            ),
            (
                "[[apps]]\nsdkappid = 1\n[apps.callback]\nurl = \"ftp://x\"\n",
                &["line 4", "callback.url"],
            ),
            (
                "[[apps]]\nsdkappid = 1\n[apps.callback]\nurl = \"http://x\"\nevents = [\"Nope\"]\n",
                &["line 5", "callback.events"],
            ),
            (
                "[[apps]]\nsdkappid = 1\n[apps.limits]\nbchatroom_max = -1\n",
                &["line 4", "bchatroom_max"],
            ),
            ("not toml at all", &["line 1"]),
        ];
        for (text, needles) in table {
            let err = parse(text, LIMITS, false).expect_err(text);
            for n in needles {
                assert!(err.contains(n), "{err:?} should mention {n:?} for {text:?}");
            }
        }
    }

    #[test]
    fn load_names_the_file() {
        let err =
            load(Path::new("/nonexistent/tim.toml"), LIMITS, false).expect_err("missing file");
        assert!(err.to_string().contains("/nonexistent/tim.toml"), "{err}");
    }
}

//! The one vendor error enum: every failure the emulator answers, with its ErrorCode and ErrorInfo.
//!
//! This is the only place that knows vendor codes. Each variant's doc names the code and what the
//! vendor means by it; codes the vendor does not document for that case are marked as emulator
//! choices. The `Display` text is the ErrorInfo, written to name the field and the limit.

use crate::usersig::UserSigError;

/// The flag that sets the per-second limit of `command` (60007's hint).
fn rate_flag(command: &str) -> &'static str {
    if command == "create_group" {
        "--create-group-per-second"
    } else {
        "--other-per-second"
    }
}

/// A failed vendor request: maps to one `(ErrorCode, ErrorInfo)` pair.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VendorError {
    /// 60002: the HTTP request could not be parsed: wrong path, wrong method, unreadable or
    /// oversize body (the size limit is an emulator choice).
    #[error("{0}")]
    HttpParse(String),
    /// 60002 as well: the body could not be read, or is larger than the limit (the value, in
    /// bytes; an emulator choice). The answer closes the connection.
    #[error(
        "the body could not be read or is larger than {0} bytes (1 MiB); the connection is closed"
    )]
    BodyUnreadable(usize),
    /// 60002 as well (emulator choice): the request is a callback the emulator itself sent, so
    /// a callback URL points at the emulator's vendor API and would loop.
    #[error(
        "this request is a callback sent by tim-emulator itself (header x-tim-emulator-callback): the app's callback URL points at the emulator's own vendor API, which would loop; point it at your app backend"
    )]
    CallbackLoop,
    /// 60002 as well (emulator choice): the body did not arrive within the body-read timeout
    /// (the value, in milliseconds). The answer closes the connection.
    #[error("the body did not arrive within {0} ms (--body-timeout-ms); the connection is closed")]
    BodyTimeout(u64),
    /// 60003: the body is empty, not JSON, or not a JSON object.
    #[error("{0}")]
    BadJson(String),
    /// 60004: `identifier` is missing or empty (emulator choice of code).
    #[error(
        "the identifier query parameter is missing or empty; set it to an App admin such as administrator"
    )]
    MissingIdentifier,
    /// 60006: `sdkappid` is not a positive integer (emulator choice of code).
    #[error("sdkappid {0:?} is not a positive integer")]
    BadSdkAppId(String),
    /// 60007: the app called this command more often than its per-second limit (emulator
    /// choice; no capture of the real answer exists).
    #[error(
        "{command} is limited to {per_second} calls per second per app; slow down and retry, or raise the limit with {} (0 = unlimited; [apps.limits] in the config file for a configured app) or start with --no-limits",
        rate_flag(command)
    )]
    RateLimited {
        /// The command that was throttled.
        command: &'static str,
        /// The limit in force.
        per_second: u32,
    },
    /// 60008: the service name is unknown, or a command is unknown in a service other than
    /// `group_open_http_svc` (the latter an emulator choice).
    #[error("{0}")]
    UnknownService(String),
    /// 60012: the `sdkappid` query parameter is missing.
    #[error("the sdkappid query parameter is missing")]
    MissingSdkAppId,
    /// 60015: an account field of the body is present but is not a string.
    #[error("{0} must be a string (an account ID)")]
    AccountFieldType(String),
    /// 70001: the UserSig has expired.
    /// 70003: the UserSig cannot be decoded.
    /// 70009: the UserSig's signature does not match the app's key.
    /// 70013: the UserSig was issued for another identifier.
    /// 70014: the UserSig was issued for another sdkappid.
    #[error("{0}")]
    UserSig(UserSigError),
    /// 70002: `usersig` is missing or empty.
    #[error("the usersig query parameter is missing or empty")]
    MissingUserSig,
    /// 70020: apps are configured and this sdkappid is not one of them (emulator choice).
    #[error(
        "sdkappid {0} is not configured in this emulator; add it to the config file's [[apps]]"
    )]
    UnknownApp(u64),
    /// 70020 as well (emulator choice): zero-config apps already hold `max` slots of
    /// `--max-apps`, and storing into `sdkappid` would make one more. 70020 is the vendor's
    /// "this SDKAppID does not exist" and the emulator's code for an sdkappid it does not serve,
    /// so a client treats it as a setup problem rather than something to retry.
    #[error(
        "sdkappid {sdkappid} cannot hold state: {max} zero-config apps already do, the most --max-apps (TIM_EMULATOR_MAX_APPS) allows; reset an app (POST /_emulator/reset?sdkappid=...) or start the emulator with a larger --max-apps (0 = no cap)"
    )]
    TooManyApps {
        /// The app that would be one too many.
        sdkappid: u64,
        /// The cap in force.
        max: usize,
    },
    /// 40601: a profile value (account_import's `Nick` or `FaceUrl`) is longer than the
    /// vendor's 500 bytes for standard profile fields (the account_import page lists 40601).
    #[error("{0}")]
    ProfileValueTooLong(String),
    /// 70402: an account command's parameter is invalid.
    #[error("{0}")]
    AccountParam(String),
    /// 70403: an account command was called by someone who is not an App admin.
    #[error("identifier {0:?} is not an App admin of this app; account commands need an admin")]
    AccountNotAdmin(String),
    /// 10002: internal error, retry. Only produced through fault injection.
    #[error("{0}")]
    Internal(String),
    /// 10002 as well: a handler panicked, which is a bug in the emulator; the value is the
    /// request id, also in the error-level log line.
    #[error(
        "internal error: tim-emulator hit a bug while serving this request (request id {0}); the request may have taken effect in part. Please report it with the log line and the request journal entry"
    )]
    EmulatorBug(u64),
    /// 10003: the command word is not valid in `group_open_http_svc`.
    #[error("{0}")]
    InvalidCommand(String),
    /// 10004: a parameter is invalid: missing, wrong type, too long, not allowed.
    #[error("{0}")]
    InvalidParameter(String),
    /// 10005: too many members in one request.
    #[error("MemberList has {count} items; at most {max} may be given in one request{note}")]
    TooManyMembers {
        /// How many items were sent.
        count: usize,
        /// The limit.
        max: usize,
        /// A diagnosis appended to the sentence (`""` or one starting with a space): what
        /// today's service does with this many ([`crate::diagnose::today_note`]).
        note: String,
    },
    /// 10006: a quota on group creation is used up (daily creations, or BChatRoom groups).
    #[error("{0}")]
    QuotaExceeded(String),
    /// 10007: not permitted: the operator is not an App admin, the type takes no members at
    /// creation, or a custom field is not writable.
    #[error("{0}")]
    PermissionDenied(String),
    /// 10008: illegal request: the owner may not write this member field of their own.
    #[error("{0}")]
    IllegalRequest(String),
    /// 10010: the group does not exist (or was destroyed).
    #[error("group {0:?} does not exist")]
    GroupNotFound(String),
    /// 10014: the group would have more members than its `MaxMemberNum`.
    #[error("{0}")]
    GroupFull(String),
    /// 10015: the GroupId is not one any group could have under the rules profile (spec §10.3;
    /// the trigger is an emulator choice).
    #[error("{0}")]
    InvalidGroupId(String),
    /// 10018: the answer would be larger than the vendor's answer-size limit.
    #[error("{0}")]
    AnswerTooLarge(String),
    /// 10019: an account the request names is not imported (add_group_member, spec §12).
    #[error("{0}")]
    AccountNotFound(String),
    /// 10037: an account would belong to more groups than the per-user quota allows.
    #[error("{0}")]
    TooManyJoinedGroups(String),
    /// 70107: the account is not imported (kick, spec §23).
    #[error(
        "{0:?} is not an imported account; import it first with im_open_login_svc/account_import"
    )]
    AccountNotImported(String),
    /// 10016: the app backend's before-create callback rejected the creation.
    #[error("{0}")]
    CallbackRejected(String),
    /// 10021: the custom GroupId is already used in this app.
    #[error("GroupId {0:?} is already used by another group of this app")]
    GroupIdInUse(String),
    /// 80001: a text field holds a sensitive word.
    #[error("{field} contains the sensitive word {word:?}")]
    SensitiveWord {
        /// The field that holds it (`Name`, `MsgBody[0].MsgContent.Text`).
        field: std::borrow::Cow<'static, str>,
        /// The configured word found.
        word: String,
    },
    /// 80002: a message is over the size limit (spec §30.2).
    #[error("{0}")]
    MessageTooLarge(String),
    /// 80003: the before-send callback failed and the app blocks on failure (spec §39.1).
    #[error("{0}")]
    CallbackFailedBlocked(String),
    /// 10017: the sender is muted in the group (spec §31.2 step 8).
    #[error("{0}")]
    SenderMuted(String),
    /// 10023: too many messages: over the per-group rate (spec §31.2 step 12) or a daily cap.
    #[error("{0}")]
    MsgFrequency(String),
    /// 10053: more @-targets than allowed (spec §31.1).
    #[error("{0}")]
    TooManyAtTargets(String),
    /// 10005 as well: a list of accounts is longer than allowed (`To_Account`,
    /// `ToMembers_Account`; spec §31, §32).
    #[error("{0}")]
    TooManyAccounts(String),
    /// 10044: the group type keeps no message history (AVChatRoom; spec §33.2).
    #[error("{0}")]
    NoHistory(String),
    /// 10033: the group type does not support recalls (AVChatRoom; spec §34).
    #[error("{0}")]
    RecallUnsupported(String),
    /// 10041: the app has group-message recall switched off (spec §34, §39.6).
    #[error("{0}")]
    RecallDisabled(String),
    /// 10023 as well: the app's daily cap of REST group messages is used up (`current` Trial
    /// 1,000 per China Standard Time day; spec §31.2 step 10, §40.3).
    #[error("{0}")]
    DailyMsgCap(String),
    /// 10059: the app's edition does not include the feature under the `current` profile
    /// (`To_Account` in send_group_msg, a Community in create_group: below Ultimate; spec §31.2
    /// step 6, §40.3).
    #[error("{0}")]
    EditionRequired(String),
    /// Any code with its own ErrorInfo: a before-create callback's custom code (10100..=10200),
    /// or a fault injected through the control plane.
    #[error("{info}")]
    Custom {
        /// The ErrorCode to answer.
        code: u32,
        /// The ErrorInfo to answer.
        info: String,
    },
    /// 10025: the custom GroupId is used by a group the caller itself created (or owns, per
    /// `dup_group_id_rule`; spec §40.4, `current` profile).
    #[error("{0}")]
    GroupIdUsedByCaller(String),
    /// 10036: the app has as many AVChatRoom groups as its edition allows (spec §40.3).
    #[error("{0}")]
    AvChatRoomQuota(String),
    /// 10038: the members are more than the edition allows in one group and the request gave no
    /// `MaxMemberCount` (spec §40.2 #7; the split from 10004 is an emulator choice).
    #[error("{0}")]
    EditionMemberCap(String),
    /// 10058: the app has as many groups as its edition allows (spec §40.3, `total_groups`).
    #[error("{0}")]
    TotalGroupsQuota(String),
    /// 11000: the app has this feature switched off (spec §40.3: Community with the app's
    /// `features.community` off).
    #[error("{0}")]
    FeatureOff(String),
    /// 70398: the app has as many imported accounts as its edition allows (spec §40.3,
    /// `accounts_max`).
    #[error("{0}")]
    AccountsQuota(String),
}

impl VendorError {
    /// The vendor ErrorCode of this failure.
    pub fn code(&self) -> u32 {
        match self {
            Self::HttpParse(_)
            | Self::BodyUnreadable(_)
            | Self::BodyTimeout(_)
            | Self::CallbackLoop => 60002,
            Self::BadJson(_) => 60003,
            Self::MissingIdentifier => 60004,
            Self::BadSdkAppId(_) => 60006,
            Self::RateLimited { .. } => 60007,
            Self::UnknownService(_) => 60008,
            Self::MissingSdkAppId => 60012,
            Self::AccountFieldType(_) => 60015,
            Self::UserSig(e) => e.code(),
            Self::MissingUserSig => 70002,
            Self::UnknownApp(_) | Self::TooManyApps { .. } => 70020,
            Self::ProfileValueTooLong(_) => 40601,
            Self::AccountParam(_) => 70402,
            Self::AccountNotAdmin(_) => 70403,
            Self::Internal(_) | Self::EmulatorBug(_) => 10002,
            Self::InvalidCommand(_) => 10003,
            Self::InvalidParameter(_) => 10004,
            Self::TooManyMembers { .. } => 10005,
            Self::QuotaExceeded(_) => 10006,
            Self::PermissionDenied(_) => 10007,
            Self::IllegalRequest(_) => 10008,
            Self::GroupNotFound(_) => 10010,
            Self::GroupFull(_) => 10014,
            Self::InvalidGroupId(_) => 10015,
            Self::AnswerTooLarge(_) => 10018,
            Self::AccountNotFound(_) => 10019,
            Self::TooManyJoinedGroups(_) => 10037,
            Self::AccountNotImported(_) => 70107,
            Self::CallbackRejected(_) => 10016,
            Self::GroupIdInUse(_) => 10021,
            Self::SensitiveWord { .. } => 80001,
            Self::MessageTooLarge(_) => 80002,
            Self::CallbackFailedBlocked(_) => 80003,
            Self::SenderMuted(_) => 10017,
            Self::MsgFrequency(_) => 10023,
            Self::TooManyAtTargets(_) => 10053,
            Self::TooManyAccounts(_) => 10005,
            Self::NoHistory(_) => 10044,
            Self::RecallUnsupported(_) => 10033,
            Self::RecallDisabled(_) => 10041,
            Self::DailyMsgCap(_) => 10023,
            Self::EditionRequired(_) => 10059,
            Self::Custom { code, .. } => *code,
            Self::GroupIdUsedByCaller(_) => 10025,
            Self::AvChatRoomQuota(_) => 10036,
            Self::EditionMemberCap(_) => 10038,
            Self::TotalGroupsQuota(_) => 10058,
            Self::FeatureOff(_) => 11000,
            Self::AccountsQuota(_) => 70398,
        }
    }
}

impl VendorError {
    /// A stable id of the rule that refused the request, for the request journal: one per
    /// variant (UserSig refusals one per reason). Faults are journaled with their own rule id.
    pub fn rule_id(&self) -> &'static str {
        match self {
            Self::HttpParse(_) => "http_parse",
            Self::BodyUnreadable(_) => "body.too_large",
            Self::BodyTimeout(_) => "body.timeout",
            Self::CallbackLoop => "callback.loop",
            Self::BadJson(_) => "body.not_json_object",
            Self::MissingIdentifier => "identifier.missing",
            Self::BadSdkAppId(_) => "sdkappid.invalid",
            Self::RateLimited { .. } => "rate_limited",
            Self::UnknownService(_) => "command.unknown",
            Self::MissingSdkAppId => "sdkappid.missing",
            Self::AccountFieldType(_) => "account_field.not_string",
            Self::UserSig(e) => usersig_rule_id(e),
            Self::MissingUserSig => "usersig.missing",
            Self::UnknownApp(_) => "sdkappid.not_configured",
            Self::TooManyApps { .. } => "sdkappid.max_apps",
            Self::ProfileValueTooLong(_) => "account.profile_too_long",
            Self::AccountParam(_) => "account.invalid_parameter",
            Self::AccountNotAdmin(_) => "account.not_admin",
            Self::Internal(_) => "internal",
            Self::EmulatorBug(_) => "emulator_bug",
            Self::InvalidCommand(_) => "group.command_unknown",
            Self::InvalidParameter(_) => "invalid_parameter",
            Self::TooManyMembers { .. } => "member_list.too_many",
            Self::QuotaExceeded(_) => "quota_exceeded",
            Self::PermissionDenied(_) => "permission_denied",
            Self::IllegalRequest(_) => "illegal_request",
            Self::GroupNotFound(_) => "group.not_found",
            Self::GroupFull(_) => "group.full",
            Self::InvalidGroupId(_) => "group_id.invalid",
            Self::AnswerTooLarge(_) => "answer.too_large",
            Self::AccountNotFound(_) => "account.not_imported",
            Self::TooManyJoinedGroups(_) => "account.too_many_groups",
            Self::AccountNotImported(_) => "account.not_imported",
            Self::CallbackRejected(_) => "callback.rejected",
            Self::GroupIdInUse(_) => "group_id.in_use",
            Self::SensitiveWord { .. } => "sensitive_word",
            Self::MessageTooLarge(_) => "message.too_large",
            Self::CallbackFailedBlocked(_) => "callback.failed_blocked",
            Self::SenderMuted(_) => "sender.muted",
            Self::MsgFrequency(_) => "message.frequency",
            Self::TooManyAtTargets(_) => "group_at.too_many",
            Self::TooManyAccounts(_) => "accounts.too_many",
            Self::NoHistory(_) => "group.no_history",
            Self::RecallUnsupported(_) => "recall.unsupported_type",
            Self::RecallDisabled(_) => "recall.disabled",
            Self::DailyMsgCap(_) => "message.daily_cap",
            Self::EditionRequired(_) => "edition.required",
            Self::Custom { .. } => "custom",
            Self::GroupIdUsedByCaller(_) => "group_id.used_by_caller",
            Self::AvChatRoomQuota(_) => "quota.avchatroom",
            Self::EditionMemberCap(_) => "member_list.edition_cap",
            Self::TotalGroupsQuota(_) => "quota.total_groups",
            Self::FeatureOff(_) => "feature.off",
            Self::AccountsQuota(_) => "quota.accounts",
        }
    }
}

fn usersig_rule_id(e: &UserSigError) -> &'static str {
    match e {
        UserSigError::Malformed(_) => "usersig.undecodable",
        UserSigError::SdkAppIdMismatch { .. } => "usersig.sdkappid_mismatch",
        UserSigError::IdentifierMismatch { .. } => "usersig.identifier_mismatch",
        UserSigError::Expired { .. } => "usersig.expired",
        UserSigError::BadSignature | UserSigError::EscapedNewlines => "usersig.bad_signature",
    }
}

impl From<UserSigError> for VendorError {
    fn from(e: UserSigError) -> Self {
        Self::UserSig(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_maps_to_its_vendor_code() {
        let table: &[(VendorError, u32)] = &[
            (VendorError::HttpParse(String::new()), 60002),
            (VendorError::BadJson(String::new()), 60003),
            (VendorError::MissingIdentifier, 60004),
            (VendorError::BadSdkAppId("x".into()), 60006),
            (
                VendorError::RateLimited {
                    command: "create_group",
                    per_second: 100,
                },
                60007,
            ),
            (VendorError::UnknownService(String::new()), 60008),
            (VendorError::MissingSdkAppId, 60012),
            (VendorError::AccountFieldType("UserID".into()), 60015),
            (VendorError::MissingUserSig, 70002),
            (VendorError::UnknownApp(1), 70020),
            (
                VendorError::TooManyApps {
                    sdkappid: 1,
                    max: 1,
                },
                70020,
            ),
            (VendorError::ProfileValueTooLong(String::new()), 40601),
            (VendorError::AccountParam(String::new()), 70402),
            (VendorError::AccountNotAdmin("bob".into()), 70403),
            (VendorError::Internal(String::new()), 10002),
            (VendorError::InvalidCommand(String::new()), 10003),
            (VendorError::InvalidParameter(String::new()), 10004),
            (
                VendorError::TooManyMembers {
                    count: 501,
                    max: 500,
                    note: String::new(),
                },
                10005,
            ),
            (VendorError::QuotaExceeded(String::new()), 10006),
            (VendorError::PermissionDenied(String::new()), 10007),
            (VendorError::IllegalRequest(String::new()), 10008),
            (VendorError::GroupNotFound("g".into()), 10010),
            (VendorError::GroupFull(String::new()), 10014),
            (VendorError::InvalidGroupId(String::new()), 10015),
            (VendorError::AnswerTooLarge(String::new()), 10018),
            (VendorError::AccountNotFound(String::new()), 10019),
            (VendorError::TooManyJoinedGroups(String::new()), 10037),
            (VendorError::DailyMsgCap(String::new()), 10023),
            (VendorError::EditionRequired(String::new()), 10059),
            (VendorError::AccountNotImported("a".into()), 70107),
            (VendorError::EmulatorBug(1), 10002),
            (VendorError::CallbackRejected(String::new()), 10016),
            (VendorError::GroupIdInUse("g".into()), 10021),
            (VendorError::GroupIdUsedByCaller("g".into()), 10025),
            (VendorError::AvChatRoomQuota(String::new()), 10036),
            (VendorError::EditionMemberCap(String::new()), 10038),
            (VendorError::TotalGroupsQuota(String::new()), 10058),
            (VendorError::FeatureOff(String::new()), 11000),
            (VendorError::AccountsQuota(String::new()), 70398),
            (
                VendorError::SensitiveWord {
                    field: "Name".into(),
                    word: "w".into(),
                },
                80001,
            ),
            (
                VendorError::Custom {
                    code: 10150,
                    info: String::new(),
                },
                10150,
            ),
        ];
        for (err, code) in table {
            assert_eq!(err.code(), *code, "{err:?}");
        }
    }

    #[test]
    fn rule_ids_name_the_refusing_rule() {
        let table: &[(VendorError, &str)] = &[
            (VendorError::GroupIdInUse("g".into()), "group_id.in_use"),
            (
                VendorError::InvalidParameter(String::new()),
                "invalid_parameter",
            ),
            (
                VendorError::UserSig(UserSigError::Expired {
                    expired_at: 1,
                    now: 2,
                }),
                "usersig.expired",
            ),
            (
                VendorError::RateLimited {
                    command: "create_group",
                    per_second: 1,
                },
                "rate_limited",
            ),
        ];
        for (err, id) in table {
            assert_eq!(err.rule_id(), *id, "{err:?}");
        }
    }

    #[test]
    fn error_info_names_the_field_and_the_limit() {
        let e = VendorError::TooManyMembers {
            count: 501,
            max: 500,
            note: String::new(),
        };
        assert_eq!(
            e.to_string(),
            "MemberList has 501 items; at most 500 may be given in one request"
        );
    }
}

//! Tencent Cloud IM UserSig (TLS signature version 2): verification and minting.
//!
//! Every REST call to the IM service carries a `usersig` query parameter that
//! proves the caller holds the app's secret key. The emulator has to make the
//! same accept/refuse decision the real service makes, with the same vendor
//! error codes, so that clients written against the emulator behave the same
//! way in production. Tests and tools also need usersigs the real service
//! would accept, which [`mint`] provides.
//!
//! A usersig is a zlib-compressed JSON object, base64-encoded with a URL-safe
//! substitution (`+` becomes `*`, `/` becomes `-`, `=` becomes `_`). The JSON
//! carries the identifier, sdkappid, issue time, lifetime, an optional user
//! buffer and `TLS.sig`, an HMAC-SHA256 over those fields keyed with the app's
//! secret key.
//!
//! Official generators in different languages disagree on JSON key order,
//! spacing and compression settings, so verification always parses the token
//! and never compares it as text. Hostile input is bounded: the token text and its
//! inflated JSON are both capped at 8 KiB, so a compression bomb is refused
//! after a few kilobytes of work.
//!
//! The module is pure: no I/O and no clock; the caller supplies `now`.

use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::{
    STANDARD, STANDARD_PAD_INDIFFERENT, URL_SAFE_PAD_INDIFFERENT,
};
use flate2::Compression;
use flate2::bufread::ZlibDecoder;
use flate2::write::ZlibEncoder;
use hmac::digest::Key;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Largest usersig text accepted, in bytes; real tokens are a few hundred.
const MAX_USERSIG_BYTES: usize = 8 * 1024;
/// Largest inflated JSON accepted, in bytes.
const MAX_JSON_BYTES: usize = 8 * 1024;

const FIELD_VER: &str = "TLS.ver";
const FIELD_IDENTIFIER: &str = "TLS.identifier";
const FIELD_SDKAPPID: &str = "TLS.sdkappid";
const FIELD_TIME: &str = "TLS.time";
const FIELD_EXPIRE: &str = "TLS.expire";
const FIELD_USERBUF: &str = "TLS.userbuf";
const FIELD_SIG: &str = "TLS.sig";
/// Fields of the legacy asymmetric (ECDSA, "version 1") usersig, which has no `TLS.ver`.
const LEGACY_FIELDS: [&str; 4] = [
    "TLS.version",
    "TLS.sdk_appid",
    "TLS.expire_after",
    "TLS.account_type",
];
/// The only signature format this module understands.
const SUPPORTED_VERSION: &str = "2.0";

type HmacSha256 = Hmac<Sha256>;

/// Why a usersig was refused; each maps to one vendor code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserSigError {
    /// 70003: not decodable (base64, zlib, JSON shape). The String says why, in one short English sentence.
    #[error("{0}")]
    Malformed(String),
    /// 70014: TLS.sdkappid differs from the URL's sdkappid.
    #[error("usersig was issued for sdkappid {in_sig} but the request's sdkappid is {in_url}")]
    SdkAppIdMismatch {
        /// The sdkappid written inside the usersig.
        in_sig: u64,
        /// The sdkappid the request was sent to.
        in_url: u64,
    },
    /// 70013: TLS.identifier differs from the URL's identifier.
    #[error(
        "usersig was issued for identifier {in_sig:?} but the request's identifier is {in_url:?}"
    )]
    IdentifierMismatch {
        /// The identifier written inside the usersig.
        in_sig: String,
        /// The identifier the request claims to act as.
        in_url: String,
    },
    /// 70001: expired. The text says how long ago and names the usual cause: a usersig made
    /// once (at start-up, or cached in a client object) and never renewed, as in
    /// doocs/qcloud-im-server-sdk-java issues 34 and 63.
    #[error(
        "usersig expired at {expired_at} (unix seconds), {ago} s ago; now is {now}. Make a new usersig (TLS.time = now, TLS.expire = its lifetime in seconds); a server that makes one at start-up or caches it in its client object must renew it before TLS.time + TLS.expire",
        ago = now.saturating_sub(*expired_at)
    )]
    Expired {
        /// `TLS.time + TLS.expire`, saturated at `u64::MAX`.
        expired_at: u64,
        /// The time the caller checked at.
        now: u64,
    },
    /// 70009: HMAC does not match (wrong key or tampered).
    #[error(
        "usersig signature does not match the app's secret key: check that the key is this sdkappid's (console: app configuration, key information) and is used as text, not hex-decoded"
    )]
    BadSignature,
    /// 70009 as well: the HMAC matches the signed text with its line ends written as the two
    /// characters `\` `n`, the bug of the PHP generator fixed in 2020 ('\n' in single quotes;
    /// tencentyun/tls-sig-api-v2-php issue 5).
    #[error(
        "usersig signature was computed over the signed text joined with a literal backslash-n (the two characters \\n) instead of newlines: the bug of tls-sig-api-v2-php before its 2020 fix ('\\n' in single quotes, issue 5 of that repository) or of a port copied from it; join the lines with real newlines (\"\\n\" in double quotes) or update the generator"
    )]
    EscapedNewlines,
}

impl UserSigError {
    /// The vendor error code the real service answers with for this refusal.
    pub fn code(&self) -> u32 {
        match self {
            Self::Malformed(_) => 70003,
            Self::SdkAppIdMismatch { .. } => 70014,
            Self::IdentifierMismatch { .. } => 70013,
            Self::Expired { .. } => 70001,
            Self::BadSignature | Self::EscapedNewlines => 70009,
        }
    }
}

fn malformed(why: impl Into<String>) -> UserSigError {
    UserSigError::Malformed(why.into())
}

/// The fields covered by `TLS.sig`, in the form they are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SignedFields<'a> {
    /// `TLS.identifier`.
    pub(crate) identifier: &'a str,
    /// `TLS.sdkappid`.
    pub(crate) sdkappid: u64,
    /// `TLS.time`, unix seconds.
    pub(crate) time: u64,
    /// `TLS.expire`, seconds of validity after `time`.
    pub(crate) expire: u64,
    /// `TLS.userbuf` exactly as the base64 text stored in the JSON.
    pub(crate) userbuf: Option<&'a str>,
}

impl SignedFields<'_> {
    /// The text the HMAC runs over: one `name:value` line per field.
    fn content(&self) -> String {
        let mut text = format!(
            "TLS.identifier:{}\nTLS.sdkappid:{}\nTLS.time:{}\nTLS.expire:{}\n",
            self.identifier, self.sdkappid, self.time, self.expire
        );
        if let Some(userbuf) = self.userbuf {
            text.push_str(&format!("TLS.userbuf:{userbuf}\n"));
        }
        text
    }
}

/// The HMAC-SHA256 state keyed with `key` and fed with the signed text.
fn signing_mac(key: &str, fields: &SignedFields<'_>) -> HmacSha256 {
    let mut mac = <HmacSha256 as KeyInit>::new(&key_block(key.as_bytes()));
    Mac::update(&mut mac, fields.content().as_bytes());
    mac
}

/// Prepares an HMAC key of exactly one SHA-256 block, as RFC 2104 does:
/// short keys are zero-padded, keys longer than a block are hashed first.
/// Going through the fixed-size constructor keeps key setup infallible.
fn key_block(key: &[u8]) -> Key<HmacSha256> {
    let mut block = Key::<HmacSha256>::default();
    let hashed;
    let source = if key.len() <= block.len() {
        key
    } else {
        hashed = Sha256::digest(key);
        hashed.as_slice()
    };
    block[..source.len()].copy_from_slice(source);
    block
}

/// Whether `tag` is the HMAC of the signed text with every newline written as `\` `n`.
fn signed_with_escaped_newlines(key: &str, fields: &SignedFields<'_>, tag: &[u8]) -> bool {
    let mut mac = <HmacSha256 as KeyInit>::new(&key_block(key.as_bytes()));
    Mac::update(&mut mac, fields.content().replace('\n', "\\n").as_bytes());
    mac.verify_slice(tag).is_ok()
}

/// Computes `TLS.sig` (standard base64 of the HMAC) for `fields` under `key`.
pub(crate) fn signature(key: &str, fields: &SignedFields<'_>) -> String {
    STANDARD.encode(signing_mac(key, fields).finalize().into_bytes())
}

/// Everything a usersig carries, once decoded.
#[derive(Debug)]
struct Claims {
    identifier: String,
    sdkappid: u64,
    time: u64,
    expire: u64,
    userbuf: Option<String>,
    sig: String,
}

impl Claims {
    fn signed_fields(&self) -> SignedFields<'_> {
        SignedFields {
            identifier: &self.identifier,
            sdkappid: self.sdkappid,
            time: self.time,
            expire: self.expire,
            userbuf: self.userbuf.as_deref(),
        }
    }
}

/// Checks `usersig` for a request made by `identifier` to `sdkappid`, at unix time `now`.
///
/// Checks run in the vendor's order and the first failure wins: decodable
/// (70003), sdkappid (70014), identifier (70013), expiry (70001), then the
/// HMAC (70009), which is compared in constant time.
pub fn verify(
    usersig: &str,
    sdkappid: u64,
    identifier: &str,
    key: &str,
    now: u64,
) -> Result<(), UserSigError> {
    let claims = decode(usersig)?;
    if claims.sdkappid != sdkappid {
        return Err(UserSigError::SdkAppIdMismatch {
            in_sig: claims.sdkappid,
            in_url: sdkappid,
        });
    }
    if claims.identifier != identifier {
        return Err(UserSigError::IdentifierMismatch {
            in_sig: claims.identifier,
            in_url: identifier.to_owned(),
        });
    }
    check_expiry(claims.time, claims.expire, now)?;
    check_signature(&claims, key)
}

/// A token stays valid through second `time + expire` inclusive; the sum
/// saturates, so an absurd lifetime simply never ends instead of wrapping.
fn check_expiry(time: u64, expire: u64, now: u64) -> Result<(), UserSigError> {
    let expired_at = time.saturating_add(expire);
    if now > expired_at {
        return Err(UserSigError::Expired { expired_at, now });
    }
    Ok(())
}

/// A `TLS.sig` that is not base64 cannot match any key, so it counts as a
/// bad signature rather than a malformed token.
fn check_signature(claims: &Claims, key: &str) -> Result<(), UserSigError> {
    let tag = STANDARD_PAD_INDIFFERENT
        .decode(&claims.sig)
        .map_err(|_| UserSigError::BadSignature)?;
    let fields = claims.signed_fields();
    if signing_mac(key, &fields).verify_slice(&tag).is_ok() {
        return Ok(());
    }
    if signed_with_escaped_newlines(key, &fields, &tag) {
        return Err(UserSigError::EscapedNewlines);
    }
    Err(UserSigError::BadSignature)
}

/// Decodes with the vendor's alphabet; when that fails, a token that decodes with another
/// alphabet gets the diagnosis of [`misencoded`] instead of the first failure.
fn decode(usersig: &str) -> Result<Claims, UserSigError> {
    check_text(usersig)?;
    decode_vendor(usersig).map_err(|e| misencoded(usersig).unwrap_or(e))
}

fn decode_vendor(usersig: &str) -> Result<Claims, UserSigError> {
    if usersig.contains(['+', '/', '=']) {
        return Err(malformed(format!(
            "usersig holds '+', '/' or '=', which are not in the vendor's alphabet; {VENDOR_ALPHABET}"
        )));
    }
    let compressed = decode_base64(usersig)?;
    let json = inflate(&compressed)?;
    parse_claims(&json)
}

/// How the vendor encodes a usersig, for ErrorInfo.
const VENDOR_ALPHABET: &str = "the vendor's encoding is standard base64 (RFC 4648 section 4) with '+' replaced by '*', '/' by '-' and '=' by '_'";

/// The diagnosis for a token that is a usersig under another base64 alphabet: RFC 4648
/// base64url (`-` `_`, padded or not) or the standard alphabet left as it is.
fn misencoded(usersig: &str) -> Option<UserSigError> {
    let decodes_with = |engine: &base64::engine::GeneralPurpose| {
        let compressed = engine.decode(usersig).ok()?;
        let json = inflate(&compressed).ok()?;
        let value: Value = serde_json::from_slice(&json).ok()?;
        value
            .as_object()?
            .keys()
            .any(|k| k.starts_with("TLS."))
            .then_some(())
    };
    if decodes_with(&URL_SAFE_PAD_INDIFFERENT).is_some() {
        return Some(malformed(format!(
            "usersig is encoded with RFC 4648 base64url ('-' for 62, '_' for 63, '=' padding or none), a language's standard URL-safe encoder; {VENDOR_ALPHABET}: encode with standard base64, then map '+' to '*', '/' to '-', '=' to '_'"
        )));
    }
    if decodes_with(&STANDARD_PAD_INDIFFERENT).is_some() {
        return Some(malformed(format!(
            "usersig is plain standard base64 ('+', '/', '='); {VENDOR_ALPHABET}: map '+' to '*', '/' to '-', '=' to '_' after encoding"
        )));
    }
    None
}

fn decode_base64(usersig: &str) -> Result<Vec<u8>, UserSigError> {
    let standard: String = usersig.chars().map(to_standard_symbol).collect();
    STANDARD_PAD_INDIFFERENT.decode(standard).map_err(|_| {
        malformed("usersig is not valid base64: its length, padding or final symbol is wrong")
    })
}

/// Rejects text that could never be a usersig, with a reason a human can act on.
fn check_text(usersig: &str) -> Result<(), UserSigError> {
    if usersig.is_empty() {
        return Err(malformed("usersig is empty"));
    }
    if usersig.len() > MAX_USERSIG_BYTES {
        return Err(malformed(format!(
            "usersig is {} bytes long, more than the {MAX_USERSIG_BYTES} accepted",
            usersig.len()
        )));
    }
    match usersig
        .char_indices()
        .find(|&(_, c)| !is_url_safe_symbol(c) && !matches!(c, '+' | '/' | '='))
    {
        None => Ok(()),
        Some((at, c)) if c.is_whitespace() => Err(malformed(format!(
            "usersig contains whitespace at byte {at}; it must be a single unbroken token"
        ))),
        Some((at, c)) => Err(malformed(format!(
            "usersig contains {c:?} at byte {at}, which is outside the URL-safe base64 alphabet"
        ))),
    }
}

fn is_url_safe_symbol(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '*' | '-' | '_')
}

fn to_standard_symbol(c: char) -> char {
    match c {
        '*' => '+',
        '-' => '/',
        '_' => '=',
        other => other,
    }
}

fn to_url_safe_symbol(c: char) -> char {
    match c {
        '+' => '*',
        '/' => '-',
        '=' => '_',
        other => other,
    }
}

/// Inflates at most one byte past the cap, so a bomb costs a few kilobytes.
fn inflate(compressed: &[u8]) -> Result<Vec<u8>, UserSigError> {
    let mut json = Vec::new();
    ZlibDecoder::new(compressed)
        .take(MAX_JSON_BYTES as u64 + 1)
        .read_to_end(&mut json)
        .map_err(|_| malformed("usersig is not a valid zlib stream"))?;
    if json.len() > MAX_JSON_BYTES {
        return Err(malformed(format!(
            "usersig inflates to more than {MAX_JSON_BYTES} bytes"
        )));
    }
    Ok(json)
}

fn parse_claims(json: &[u8]) -> Result<Claims, UserSigError> {
    let value: Value = serde_json::from_slice(json)
        .map_err(|_| malformed("usersig does not contain valid JSON"))?;
    let object = value
        .as_object()
        .ok_or_else(|| malformed("usersig JSON is not an object"))?;
    if !object.contains_key(FIELD_VER) && LEGACY_FIELDS.iter().any(|f| object.contains_key(*f)) {
        return Err(malformed(
            "usersig is a legacy asymmetric (ECDSA) one: TLS.version, TLS.sdk_appid, TLS.expire_after are the old generator's fields, signed with a private key; this app verifies TLS.ver 2.0 usersigs signed with HMAC-SHA256 under its secret key: make the usersig with a current generator (tls-sig-api-v2 for your language) and the app's secret key",
        ));
    }
    if string_field(object, FIELD_VER)? != SUPPORTED_VERSION {
        return Err(malformed(format!(
            "usersig field \"{FIELD_VER}\" must be \"{SUPPORTED_VERSION}\""
        )));
    }
    Ok(Claims {
        identifier: string_field(object, FIELD_IDENTIFIER)?.to_owned(),
        sdkappid: integer_field(object, FIELD_SDKAPPID)?,
        time: integer_field(object, FIELD_TIME)?,
        expire: integer_field(object, FIELD_EXPIRE)?,
        userbuf: optional_string_field(object, FIELD_USERBUF)?,
        sig: string_field(object, FIELD_SIG)?.to_owned(),
    })
}

fn field<'a>(object: &'a Map<String, Value>, name: &str) -> Result<&'a Value, UserSigError> {
    object
        .get(name)
        .ok_or_else(|| malformed(format!("usersig has no \"{name}\" field")))
}

fn string_field<'a>(object: &'a Map<String, Value>, name: &str) -> Result<&'a str, UserSigError> {
    field(object, name)?
        .as_str()
        .ok_or_else(|| malformed(format!("usersig field \"{name}\" must be a string")))
}

fn optional_string_field(
    object: &Map<String, Value>,
    name: &str,
) -> Result<Option<String>, UserSigError> {
    if !object.contains_key(name) {
        return Ok(None);
    }
    string_field(object, name).map(|text| Some(text.to_owned()))
}

/// Accepts a JSON integer or, since some generators quote numbers, a string of digits.
fn integer_field(object: &Map<String, Value>, name: &str) -> Result<u64, UserSigError> {
    let parsed = match field(object, name)? {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => parse_digits(text),
        _ => None,
    };
    parsed.ok_or_else(|| {
        malformed(format!(
            "usersig field \"{name}\" must be a non-negative integer that fits in 64 bits"
        ))
    })
}

/// Only ASCII digits: `u64::from_str` alone would also take a leading `+`.
fn parse_digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Makes a usersig the real service would accept (URL-safe alphabet, default zlib level).
///
/// `userbuf`, when given, is stored and signed as the standard base64 of the
/// bytes. The JSON is compact, with keys in the order the official
/// generators use.
pub fn mint(
    sdkappid: u64,
    key: &str,
    identifier: &str,
    time: u64,
    expire: u64,
    userbuf: Option<&[u8]>,
) -> String {
    let userbuf = userbuf.map(|bytes| STANDARD.encode(bytes));
    let fields = SignedFields {
        identifier,
        sdkappid,
        time,
        expire,
        userbuf: userbuf.as_deref(),
    };
    let json = minted_json(&fields, &signature(key, &fields));
    let encoded = STANDARD.encode(zlib_compress(json.as_bytes()));
    encoded.chars().map(to_url_safe_symbol).collect()
}

fn minted_json(fields: &SignedFields<'_>, sig: &str) -> String {
    let mut json = format!(
        "{{\"{FIELD_VER}\":\"{SUPPORTED_VERSION}\",\"{FIELD_IDENTIFIER}\":{},\
         \"{FIELD_SDKAPPID}\":{},\"{FIELD_EXPIRE}\":{},\"{FIELD_TIME}\":{}",
        json_string(fields.identifier),
        fields.sdkappid,
        fields.expire,
        fields.time
    );
    if let Some(userbuf) = fields.userbuf {
        json.push_str(&format!(",\"{FIELD_USERBUF}\":{}", json_string(userbuf)));
    }
    json.push_str(&format!(",\"{FIELD_SIG}\":{}}}", json_string(sig)));
    json
}

/// A JSON string literal with proper escaping.
fn json_string(text: &str) -> String {
    Value::from(text).to_string()
}

/// Compresses at the default level. Compressing into memory does not fail in
/// practice, but the encoder's signature says it may; rather than panic, fall
/// back to stored blocks, which every inflater accepts.
fn zlib_compress(data: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    match encoder.write_all(data).and_then(|()| encoder.finish()) {
        Ok(compressed) => compressed,
        Err(_) => zlib_stored(data),
    }
}

/// A zlib stream made only of stored (uncompressed) deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    const BLOCK: usize = u16::MAX as usize;
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![data]
    } else {
        data.chunks(BLOCK).collect()
    };
    let mut out = vec![0x78, 0x01];
    for (index, chunk) in chunks.iter().enumerate() {
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        out.push(u8::from(index + 1 == chunks.len()));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % MOD;
        b = (b + a) % MOD;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
    const APP: u64 = 1_400_000_000;
    const ADMIN: &str = "administrator";
    const ISSUED: u64 = 1_700_000_000;
    const LIFETIME: u64 = 86_400;

    /// Tokens from three different official generators, all for `ADMIN`,
    /// issued at `ISSUED` for `LIFETIME` seconds under `KEY`.
    const GENERATED: [&str; 3] = [
        // JSON with ", " and ": " separators; key order ver, identifier, sdkappid, expire, time, sig.
        "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-Myi0uKEkvyi2BKilOyEwsKMlOACgxNDKAAKpdaUZBZlAqUsTAzgQuWZOaChAzN0RQXZ6aDLKn0cUzVLjcPD00NLS1MCrPM0A*JMLcoNTLMD3HP1M60jCowLDUOKMiLNDOwVaoFAD4PNPI_",
        // Compact JSON; time comes before expire.
        "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwokpuZl5mcUlRYkl*UVQBcUp2YkFBZkpSlaGJgZQAJEpycxNVbIyNEcVTa0oyCxKVbKyMDOBCRVnpitZKVX6OKZql5uHh6aGlhYmhVlm6IdEmFuUGhnmh7hnamdaRhUYlhoHFORFmhnYKtUCAK0SM5I_",
        // Compact JSON; expire before time; dynamic Huffman block instead of fixed.
        "eJxVjMsOgjAURP-lbjFIkVBo4sKVGxYmFl*7mla9MZTah48Y-12CuGB2c*Zk3sCrdXxXFhikcQKTvqNU2uMJeyxkgxqdt8K3dhCcvApjUAIjWTLkt6inQauAFXn2Rx6bDhA6Fh2eu-NXtVDRg25rVYfbcVNepnxHi5CSli8xwvJgSJitjN7nyRw*X7yIM5I_",
    ];

    fn admin_fields() -> SignedFields<'static> {
        SignedFields {
            identifier: ADMIN,
            sdkappid: APP,
            time: ISSUED,
            expire: LIFETIME,
            userbuf: None,
        }
    }

    /// Compresses `json` at `level` and applies the URL-safe substitution.
    fn pack(json: &str, level: Compression) -> String {
        let mut encoder = ZlibEncoder::new(Vec::new(), level);
        encoder.write_all(json.as_bytes()).unwrap();
        let encoded = STANDARD.encode(encoder.finish().unwrap());
        encoded.chars().map(to_url_safe_symbol).collect()
    }

    /// The JSON text inside a usersig.
    fn unpack(usersig: &str) -> String {
        let json = inflate(&decode_base64(usersig).unwrap()).unwrap();
        String::from_utf8(json).unwrap()
    }

    /// A compact, correctly signed JSON body for `admin_fields()` with one field replaced.
    fn admin_json_with(name: &str, value: Value) -> String {
        let sig = signature(KEY, &admin_fields());
        let mut object: Map<String, Value> = serde_json::from_str(&format!(
            r#"{{"TLS.ver":"2.0","TLS.identifier":"{ADMIN}","TLS.sdkappid":{APP},"TLS.time":{ISSUED},"TLS.expire":{LIFETIME},"TLS.sig":"{sig}"}}"#
        ))
        .unwrap();
        object.insert(name.to_owned(), value);
        Value::Object(object).to_string()
    }

    fn admin_json_without(name: &str) -> String {
        let mut object: Map<String, Value> =
            serde_json::from_str(&admin_json_with(FIELD_VER, Value::from("2.0"))).unwrap();
        object.remove(name);
        Value::Object(object).to_string()
    }

    fn verify_admin(usersig: &str, now: u64) -> Result<(), UserSigError> {
        verify(usersig, APP, ADMIN, KEY, now)
    }

    fn assert_malformed(result: Result<(), UserSigError>, case: &str) -> String {
        match result {
            Err(UserSigError::Malformed(why)) => why,
            other => panic!("{case}: expected Malformed, got {other:?}"),
        }
    }

    /// Streams `total` zero bytes through a compressor, one mebibyte at a time.
    fn zero_bomb(total: usize, level: Compression) -> Vec<u8> {
        let chunk = vec![0u8; 1 << 20];
        let mut encoder = ZlibEncoder::new(Vec::new(), level);
        let mut left = total;
        while left > 0 {
            let n = left.min(chunk.len());
            encoder.write_all(&chunk[..n]).unwrap();
            left -= n;
        }
        encoder.finish().unwrap()
    }

    fn url_safe_base64(bytes: &[u8]) -> String {
        STANDARD
            .encode(bytes)
            .chars()
            .map(to_url_safe_symbol)
            .collect()
    }

    #[test]
    fn signature_without_userbuf_matches_the_published_known_answer() {
        let fields = SignedFields {
            identifier: "0",
            sdkappid: APP,
            time: 1_569_910_200,
            expire: 15_552_000,
            userbuf: None,
        };
        assert_eq!(
            signature(KEY, &fields),
            "CpjuBdQs9ZwnuGAJR8onoOeI9fweX2vIMMY94iOJWJY="
        );
    }

    #[test]
    fn signature_with_userbuf_covers_its_base64_text_not_the_raw_bytes() {
        let with = |userbuf| SignedFields {
            identifier: "0",
            sdkappid: APP,
            time: 1_569_910_200,
            expire: 15_552_000,
            userbuf: Some(userbuf),
        };
        let known = "bC3u5cuslSg8Ds7KY58mhSkTrxunrFu50dkdkCYH4i8=";
        assert_eq!(STANDARD.encode(b"abc"), "YWJj");
        assert_eq!(signature(KEY, &with("YWJj")), known);
        assert_ne!(signature(KEY, &with("abc")), known);
    }

    #[test]
    fn minted_userbuf_is_stored_as_base64_and_signed_as_that_text() {
        let usersig = mint(APP, KEY, "0", 1_569_910_200, 15_552_000, Some(b"abc"));
        let json: Value = serde_json::from_str(&unpack(&usersig)).unwrap();
        assert_eq!(json[FIELD_USERBUF], "YWJj");
        assert_eq!(
            json[FIELD_SIG],
            "bC3u5cuslSg8Ds7KY58mhSkTrxunrFu50dkdkCYH4i8="
        );
    }

    #[test]
    fn key_setup_matches_standard_hmac_for_short_exact_and_long_keys() {
        for len in [0, 1, 63, 64, 65, 200] {
            let key = "k".repeat(len);
            let content = admin_fields().content();
            let mut reference = HmacSha256::new_from_slice(key.as_bytes()).unwrap();
            Mac::update(&mut reference, content.as_bytes());
            let expected = STANDARD.encode(reference.finalize().into_bytes());
            assert_eq!(
                signature(&key, &admin_fields()),
                expected,
                "key length {len}"
            );
        }
    }

    #[test]
    fn tokens_from_real_generators_verify_through_the_last_valid_second() {
        for (index, usersig) in GENERATED.iter().enumerate() {
            for now in [ISSUED, ISSUED + LIFETIME] {
                assert_eq!(
                    verify_admin(usersig, now),
                    Ok(()),
                    "generator {index} at {now}"
                );
            }
        }
    }

    #[test]
    fn tokens_from_real_generators_expire_one_second_later() {
        for (index, usersig) in GENERATED.iter().enumerate() {
            let now = ISSUED + LIFETIME + 1;
            let expected = UserSigError::Expired {
                expired_at: ISSUED + LIFETIME,
                now,
            };
            assert_eq!(
                verify_admin(usersig, now),
                Err(expected),
                "generator {index}"
            );
        }
    }

    #[test]
    fn each_single_fault_maps_to_its_own_error() {
        let usersig = GENERATED[1];
        let cases: [(&str, u64, &str, &str, UserSigError); 3] = [
            (
                "other sdkappid",
                APP + 1,
                ADMIN,
                KEY,
                UserSigError::SdkAppIdMismatch {
                    in_sig: APP,
                    in_url: APP + 1,
                },
            ),
            (
                "other identifier",
                APP,
                "bob",
                KEY,
                UserSigError::IdentifierMismatch {
                    in_sig: ADMIN.to_owned(),
                    in_url: "bob".to_owned(),
                },
            ),
            (
                "wrong key",
                APP,
                ADMIN,
                "not-the-key",
                UserSigError::BadSignature,
            ),
        ];
        for (case, app, identifier, key, expected) in cases {
            assert_eq!(
                verify(usersig, app, identifier, key, ISSUED),
                Err(expected),
                "{case}"
            );
        }
    }

    #[test]
    fn when_several_checks_fail_the_earliest_in_vendor_order_wins() {
        let late = ISSUED + LIFETIME + 1;
        let expired = UserSigError::Expired {
            expired_at: ISSUED + LIFETIME,
            now: late,
        };
        let sdkappid = UserSigError::SdkAppIdMismatch {
            in_sig: APP,
            in_url: 1,
        };
        let identifier = UserSigError::IdentifierMismatch {
            in_sig: ADMIN.to_owned(),
            in_url: "bob".to_owned(),
        };
        let cases = [
            ("all wrong", 1, "bob", "bad", late, sdkappid.clone()),
            (
                "sdkappid and identifier",
                1,
                "bob",
                KEY,
                ISSUED,
                sdkappid.clone(),
            ),
            ("sdkappid and expiry", 1, ADMIN, KEY, late, sdkappid),
            (
                "identifier, expiry, key",
                APP,
                "bob",
                "bad",
                late,
                identifier.clone(),
            ),
            ("identifier and key", APP, "bob", "bad", ISSUED, identifier),
            ("expiry and key", APP, ADMIN, "bad", late, expired),
        ];
        for (case, app, who, key, now, expected) in cases {
            assert_eq!(
                verify(GENERATED[0], app, who, key, now),
                Err(expected),
                "{case}"
            );
        }
    }

    #[test]
    fn malformed_token_wins_over_every_other_fault() {
        let result = verify("%%%", 1, "bob", "bad", u64::MAX);
        assert_malformed(result, "garbage with every other fault");
    }

    #[test]
    fn tampered_signature_or_fields_fail_the_signature_check() {
        let mut flipped = signature(KEY, &admin_fields()).into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        let cases = [
            (
                "flipped sig character",
                admin_json_with(FIELD_SIG, Value::from(flipped)),
            ),
            (
                "truncated sig",
                admin_json_with(FIELD_SIG, Value::from("yLAe+w7W")),
            ),
            (
                "sig not base64",
                admin_json_with(FIELD_SIG, Value::from("!!")),
            ),
            ("empty sig", admin_json_with(FIELD_SIG, Value::from(""))),
            (
                "lifetime stretched",
                admin_json_with(FIELD_EXPIRE, Value::from(LIFETIME * 2)),
            ),
            (
                "userbuf added",
                admin_json_with(FIELD_USERBUF, Value::from("YWJj")),
            ),
        ];
        for (case, json) in cases {
            let usersig = pack(&json, Compression::default());
            assert_eq!(
                verify_admin(&usersig, ISSUED),
                Err(UserSigError::BadSignature),
                "{case}"
            );
        }
    }

    #[test]
    fn every_zlib_level_including_stored_blocks_verifies() {
        let json = unpack(GENERATED[1]);
        let levels = [
            Compression::none(),
            Compression::fast(),
            Compression::default(),
            Compression::best(),
        ];
        for level in levels {
            let usersig = pack(&json, level);
            assert_eq!(verify_admin(&usersig, ISSUED), Ok(()), "level {level:?}");
        }
        let stored = url_safe_base64(&zlib_stored(json.as_bytes()));
        assert_eq!(
            verify_admin(&stored, ISSUED),
            Ok(()),
            "hand-made stored blocks"
        );
    }

    #[test]
    fn key_order_and_whitespace_in_the_json_do_not_matter() {
        let sig = signature(KEY, &admin_fields());
        let json = format!(
            "\n{{ \"TLS.sig\" : \"{sig}\" ,\n\t\"TLS.expire\": {LIFETIME},\r\n  \"TLS.time\" :{ISSUED},\n  \
             \"TLS.sdkappid\":   {APP},\n  \"TLS.identifier\": \"{ADMIN}\",\n  \"TLS.ver\": \"2.0\"\n}}\n"
        );
        assert_eq!(
            verify_admin(&pack(&json, Compression::default()), ISSUED),
            Ok(())
        );
    }

    #[test]
    fn numbers_sent_as_digit_strings_are_accepted() {
        for name in [FIELD_SDKAPPID, FIELD_TIME, FIELD_EXPIRE] {
            let original: Value =
                serde_json::from_str(&admin_json_with(FIELD_VER, "2.0".into())).unwrap();
            let quoted = Value::from(original[name].to_string());
            let usersig = pack(&admin_json_with(name, quoted), Compression::default());
            assert_eq!(verify_admin(&usersig, ISSUED), Ok(()), "{name} quoted");
        }
    }

    #[test]
    fn padding_may_be_present_or_absent() {
        let padded = GENERATED[2];
        assert!(padded.ends_with('_'));
        let unpadded = padded.trim_end_matches('_');
        assert_eq!(verify_admin(padded, ISSUED), Ok(()));
        assert_eq!(verify_admin(unpadded, ISSUED), Ok(()));
    }

    #[test]
    fn standard_alphabet_is_refused_with_a_hint_about_the_url_safe_one() {
        let standard: String = GENERATED[0].chars().map(to_standard_symbol).collect();
        assert!(standard.contains(['+', '/', '=']));
        let why = assert_malformed(verify_admin(&standard, ISSUED), "standard alphabet");
        assert!(why.contains("plain standard base64"), "{why}");
        assert!(why.contains("'+' to '*', '/' to '-', '=' to '_'"), "{why}");
    }

    /// `GENERATED[0]` re-encoded as RFC 4648 base64url, padded or not.
    fn rfc4648_url_safe(padded: bool) -> String {
        let bytes = decode_base64(GENERATED[0]).unwrap();
        let text = base64::engine::general_purpose::URL_SAFE.encode(bytes);
        if padded {
            text
        } else {
            text.trim_end_matches('=').to_owned()
        }
    }

    #[test]
    fn rfc4648_base64url_is_named_with_the_vendor_mapping() {
        for padded in [true, false] {
            let token = rfc4648_url_safe(padded);
            assert!(token.contains(['-', '_']), "{token}");
            let why = assert_malformed(verify_admin(&token, ISSUED), "base64url");
            assert!(why.contains("RFC 4648 base64url"), "{why}");
            assert!(why.contains("'+' to '*', '/' to '-', '=' to '_'"), "{why}");
            assert!(!why.contains("plain standard"), "{why}");
        }
    }

    #[test]
    fn a_legacy_asymmetric_usersig_is_named_as_such() {
        let legacy = r#"{"TLS.account_type":"0","TLS.identifier":"administrator","TLS.appid_at_3rd":"0","TLS.sdk_appid":"1400000000","TLS.expire_after":"86400","TLS.version":"201610110000","TLS.time":"1700000000","TLS.sig":"MEUCIQDm4Dq9VrSf1yGSAAnHo3Ke0u8lpAFR1Ye4xrzyKA8kHAIgZOTM3iDNSNrJ9Y0aZPp6lyx0C0w6hzx5sxK6ZAcVIsY_"}"#;
        let token = pack(legacy, Compression::default());
        let why = assert_malformed(verify_admin(&token, ISSUED), "legacy");
        assert!(why.contains("legacy asymmetric (ECDSA)"), "{why}");
        assert!(why.contains("HMAC-SHA256 under its secret key"), "{why}");
    }

    #[test]
    fn an_hmac_over_literal_backslash_n_names_the_generator_bug() {
        let fields = admin_fields();
        let mut mac = <HmacSha256 as KeyInit>::new(&key_block(KEY.as_bytes()));
        Mac::update(&mut mac, fields.content().replace('\n', "\\n").as_bytes());
        let sig = STANDARD.encode(mac.finalize().into_bytes());
        let token = pack(
            &admin_json_with(FIELD_SIG, Value::from(sig)),
            Compression::default(),
        );
        let e = verify_admin(&token, ISSUED).expect_err("the PHP bug");
        assert_eq!(e, UserSigError::EscapedNewlines);
        assert_eq!(e.code(), 70009);
        assert!(e.to_string().contains("literal backslash-n"), "{e}");
        let other_key = mint(APP, "not-the-key", ADMIN, ISSUED, LIFETIME, None);
        assert_eq!(
            verify_admin(&other_key, ISSUED),
            Err(UserSigError::BadSignature)
        );
    }

    #[test]
    fn expiry_says_how_long_ago_and_to_renew() {
        let e = verify_admin(GENERATED[1], ISSUED + LIFETIME + 3_600).expect_err("expired");
        let info = e.to_string();
        assert!(info.contains("3600 s ago"), "{info}");
        assert!(
            info.contains("renew it before TLS.time + TLS.expire"),
            "{info}"
        );
    }

    #[test]
    fn hostile_text_is_malformed_without_panicking() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let random: Vec<u8> = (0..300)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        let with_newline = format!("{}\n{}", &GENERATED[0][..96], &GENERATED[0][96..]);
        let cases = [
            ("empty", String::new()),
            ("one megabyte", "A".repeat(1 << 20)),
            ("punctuation", "eJy!rVgrxC".to_owned()),
            ("non-ascii", "eJyrVgé".to_owned()),
            ("nul byte", "eJyr\0Vgrx".to_owned()),
            ("newline inside", with_newline),
            ("trailing newline", format!("{}\n", GENERATED[0])),
            ("leading space", format!(" {}", GENERATED[0])),
            ("one symbol too many", "eJyrV".to_owned()),
            ("padding in the middle", "eJ_rVgrx".to_owned()),
            ("random bytes", url_safe_base64(&random)),
            ("truncated token", GENERATED[0][..100].to_owned()),
        ];
        for (case, usersig) in cases {
            assert_malformed(verify_admin(&usersig, ISSUED), case);
        }
    }

    #[test]
    fn whitespace_is_reported_as_whitespace() {
        let why = assert_malformed(verify_admin("eJyr Vgrx", ISSUED), "space");
        assert!(why.contains("whitespace"), "{why}");
    }

    #[test]
    fn corrupted_zlib_checksum_is_malformed() {
        let mut compressed = decode_base64(GENERATED[1]).unwrap();
        let last = compressed.len() - 1;
        compressed[last] ^= 0xff;
        let why = assert_malformed(verify_admin(&url_safe_base64(&compressed), ISSUED), "adler");
        assert!(why.contains("zlib"), "{why}");
    }

    #[test]
    fn huge_zlib_bomb_is_refused_by_the_length_cap() {
        let usersig = url_safe_base64(&zero_bomb(100 << 20, Compression::fast()));
        let why = assert_malformed(verify_admin(&usersig, ISSUED), "100 MB bomb");
        assert!(why.contains("bytes long"), "{why}");
    }

    #[test]
    fn small_zlib_bomb_is_refused_by_the_inflate_cap() {
        let usersig = url_safe_base64(&zero_bomb(5 << 20, Compression::best()));
        assert!(
            usersig.len() <= MAX_USERSIG_BYTES,
            "bomb must pass the text cap"
        );
        let why = assert_malformed(verify_admin(&usersig, ISSUED), "5 MB bomb");
        assert!(why.contains("inflates to more than"), "{why}");
    }

    #[test]
    fn json_with_the_wrong_shape_is_malformed_and_names_the_field() {
        let cases = [
            ("not json", "TLS".to_owned(), "valid JSON"),
            ("array", "[1,2,3]".to_owned(), "not an object"),
            ("string", "\"TLS.ver\"".to_owned(), "not an object"),
            (
                "ver 1.0",
                admin_json_with(FIELD_VER, "1.0".into()),
                FIELD_VER,
            ),
            (
                "ver number",
                admin_json_with(FIELD_VER, 2.into()),
                FIELD_VER,
            ),
            ("no ver", admin_json_without(FIELD_VER), FIELD_VER),
            ("no sig", admin_json_without(FIELD_SIG), FIELD_SIG),
            (
                "no identifier",
                admin_json_without(FIELD_IDENTIFIER),
                FIELD_IDENTIFIER,
            ),
            ("no time", admin_json_without(FIELD_TIME), FIELD_TIME),
            (
                "sig number",
                admin_json_with(FIELD_SIG, 5.into()),
                FIELD_SIG,
            ),
            (
                "identifier number",
                admin_json_with(FIELD_IDENTIFIER, 7.into()),
                FIELD_IDENTIFIER,
            ),
            (
                "sdkappid letters",
                admin_json_with(FIELD_SDKAPPID, "abc".into()),
                FIELD_SDKAPPID,
            ),
            (
                "sdkappid signed",
                admin_json_with(FIELD_SDKAPPID, "+1400000000".into()),
                FIELD_SDKAPPID,
            ),
            (
                "sdkappid empty",
                admin_json_with(FIELD_SDKAPPID, "".into()),
                FIELD_SDKAPPID,
            ),
            (
                "time negative",
                admin_json_with(FIELD_TIME, (-5).into()),
                FIELD_TIME,
            ),
            (
                "time float",
                admin_json_with(FIELD_TIME, 1.5.into()),
                FIELD_TIME,
            ),
            (
                "time null",
                admin_json_with(FIELD_TIME, Value::Null),
                FIELD_TIME,
            ),
            (
                "expire bool",
                admin_json_with(FIELD_EXPIRE, true.into()),
                FIELD_EXPIRE,
            ),
            (
                "userbuf number",
                admin_json_with(FIELD_USERBUF, 1.into()),
                FIELD_USERBUF,
            ),
        ];
        for (case, json, field_name) in cases {
            let usersig = pack(&json, Compression::default());
            let why = assert_malformed(verify_admin(&usersig, ISSUED), case);
            assert!(why.contains(field_name), "{case}: {why}");
        }
    }

    #[test]
    fn integers_beyond_u64_are_malformed() {
        let beyond = "18446744073709551616";
        let cases = [
            (
                "time as number",
                FIELD_TIME,
                format!("{{\"{FIELD_TIME}\":{beyond}}}"),
            ),
            (
                "expire as digits",
                FIELD_EXPIRE,
                format!("{{\"{FIELD_EXPIRE}\":\"{beyond}\"}}"),
            ),
        ];
        for (case, name, patch) in cases {
            let patch: Map<String, Value> = serde_json::from_str(&patch).unwrap();
            let json = admin_json_with(name, patch[name].clone());
            let why = assert_malformed(verify_admin(&pack(&json, Compression::default()), 0), case);
            assert!(why.contains(name), "{case}: {why}");
        }
    }

    #[test]
    fn lifetime_that_overflows_u64_saturates_instead_of_panicking() {
        let usersig = mint(APP, KEY, ADMIN, u64::MAX, u64::MAX, None);
        assert_eq!(verify_admin(&usersig, u64::MAX), Ok(()));
        let edge = mint(APP, KEY, ADMIN, u64::MAX - 1, 0, None);
        let expected = UserSigError::Expired {
            expired_at: u64::MAX - 1,
            now: u64::MAX,
        };
        assert_eq!(verify_admin(&edge, u64::MAX), Err(expected));
    }

    #[test]
    fn minted_token_verifies_and_uses_only_url_safe_symbols() {
        let usersig = mint(APP, KEY, ADMIN, ISSUED, LIFETIME, None);
        assert!(usersig.chars().all(is_url_safe_symbol), "{usersig}");
        assert_eq!(verify_admin(&usersig, ISSUED + LIFETIME), Ok(()));
    }

    #[test]
    fn minted_json_is_identical_to_a_compact_official_generator() {
        let minted = mint(APP, KEY, ADMIN, ISSUED, LIFETIME, None);
        assert_eq!(unpack(&minted), unpack(GENERATED[2]));
    }

    #[test]
    fn minted_json_lists_keys_in_the_documented_order() {
        let json = unpack(&mint(APP, KEY, ADMIN, ISSUED, LIFETIME, Some(b"x")));
        let order = [
            FIELD_VER,
            FIELD_IDENTIFIER,
            FIELD_SDKAPPID,
            FIELD_EXPIRE,
            FIELD_TIME,
            FIELD_USERBUF,
            FIELD_SIG,
        ];
        let positions: Vec<usize> = order.iter().map(|key| json.find(key).unwrap()).collect();
        assert!(positions.is_sorted(), "{json}");
    }

    #[test]
    fn minted_token_issued_in_the_past_is_expired() {
        let usersig = mint(APP, KEY, ADMIN, 1_000, 10, None);
        let expected = UserSigError::Expired {
            expired_at: 1_010,
            now: ISSUED,
        };
        assert_eq!(verify_admin(&usersig, ISSUED), Err(expected));
    }

    #[test]
    fn minted_token_with_userbuf_verifies() {
        for userbuf in [&b""[..], b"abc", &[0u8, 255, 62, 63]] {
            let usersig = mint(APP, KEY, ADMIN, ISSUED, LIFETIME, Some(userbuf));
            assert_eq!(verify_admin(&usersig, ISSUED), Ok(()), "{userbuf:?}");
        }
    }

    #[test]
    fn minted_token_escapes_unusual_identifiers() {
        for identifier in ["", "quote\"back\\slash", "line\nbreak", "ünïcode 用户"] {
            let usersig = mint(APP, KEY, identifier, ISSUED, LIFETIME, None);
            assert_eq!(
                verify(&usersig, APP, identifier, KEY, ISSUED),
                Ok(()),
                "{identifier:?}"
            );
        }
    }

    #[test]
    fn each_error_maps_to_its_vendor_code_and_reads_as_a_sentence() {
        let cases = [
            (
                UserSigError::Malformed("usersig is empty".into()),
                70003,
                "usersig is empty",
            ),
            (
                UserSigError::SdkAppIdMismatch {
                    in_sig: 1,
                    in_url: 2,
                },
                70014,
                "usersig was issued for sdkappid 1 but the request's sdkappid is 2",
            ),
            (
                UserSigError::IdentifierMismatch {
                    in_sig: "bob".into(),
                    in_url: "admin".into(),
                },
                70013,
                "usersig was issued for identifier \"bob\" but the request's identifier is \"admin\"",
            ),
            (
                UserSigError::Expired {
                    expired_at: 1_700_086_400,
                    now: 1_700_086_401,
                },
                70001,
                "usersig expired at 1700086400 (unix seconds), 1 s ago; now is 1700086401. Make a new usersig (TLS.time = now, TLS.expire = its lifetime in seconds); a server that makes one at start-up or caches it in its client object must renew it before TLS.time + TLS.expire",
            ),
            (
                UserSigError::BadSignature,
                70009,
                "usersig signature does not match the app's secret key: check that the key is this sdkappid's (console: app configuration, key information) and is used as text, not hex-decoded",
            ),
        ];
        for (error, code, text) in cases {
            assert_eq!(error.code(), code, "{error:?}");
            assert_eq!(error.to_string(), text);
        }
    }

    #[test]
    fn stored_block_fallback_inflates_back_to_its_input() {
        let big: Vec<u8> = (0..200_000u32).map(|n| n.to_le_bytes()[0]).collect();
        for data in [&b""[..], b"hello", &big] {
            let mut out = Vec::new();
            ZlibDecoder::new(&zlib_stored(data)[..])
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, data);
        }
    }
}

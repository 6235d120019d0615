//! Checking one token the way golang-jwt v5 does for Go kratos, in its order, so
//! each bad token gets the message a Go server gives it: the token is split and
//! its header and claims decoded (any failure: `Token is invalid`), the algorithm
//! looked up and the key found (`Token is invalid`), the signature verified with
//! the token's own algorithm (`Fail to parse JWT token `), the time claims and any
//! configured claim rules checked (`JWT token has expired` when a time claim
//! failed, else `Fail to parse JWT token `), and only then the algorithm compared
//! with the server's (`Wrong signing method`).
//!
//! Verifying with the token's algorithm before comparing it is safe because the
//! key decides the family: an RSA or EC public key never verifies an HMAC token.

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::{Algorithm, DecodingKey, Header};
use serde::Deserialize as _;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::errors;
use crate::error::Error;

/// Base64url without padding, as Go's `base64.RawURLEncoding`: it accepts
/// non-zero trailing bits, so a signature differing only there still decodes.
const SEGMENT: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// Algorithms golang-jwt knows that jsonwebtoken cannot verify: such a token
/// fails at the signature in Go, not as malformed.
const KNOWN_UNVERIFIABLE: [&str; 2] = ["none", "ES512"];

/// A key function: the key for a token with this header, if there is one.
type KeyFn = std::sync::Arc<dyn Fn(&Header) -> Option<DecodingKey> + Send + Sync>;

/// Where the key that checks a token comes from.
#[derive(Clone)]
pub(super) enum Keys {
    /// One key for every token.
    One(DecodingKey),
    /// A key chosen by the token's header (its `kid`, usually); `None` when there is none.
    Chosen(KeyFn),
}

impl Keys {
    fn key(&self, header: &Header) -> Option<Cow<'_, DecodingKey>> {
        match self {
            Keys::One(key) => Some(Cow::Borrowed(key)),
            Keys::Chosen(choose) => choose(header).map(Cow::Owned),
        }
    }
}

/// What the server requires of a token beyond its signature; Go kratos's defaults
/// when empty: `exp` and `nbf` checked when present, nothing required, no leeway.
#[derive(Clone, Debug, Default)]
pub(super) struct Rules {
    /// Clock skew allowed on `exp` and `nbf`.
    pub(super) leeway: Duration,
    /// A token without `exp` is refused.
    pub(super) require_exp: bool,
    /// The `iss` a token must carry, if any.
    pub(super) issuer: Option<String>,
    /// The audiences of which a token's `aud` must name one, if any.
    pub(super) audience: Vec<String>,
}

/// The claims the rules look at, taken out before the user's type consumes the rest.
struct Registered {
    exp: Option<Value>,
    nbf: Option<Value>,
    iss: Option<Value>,
    aud: Option<Value>,
}

/// Checks `token` and returns its claims as `C`; `now` is seconds since the Unix epoch.
pub(super) fn verify<C: DeserializeOwned>(
    token: &[u8],
    keys: &Keys,
    expected: Algorithm,
    rules: &Rules,
    now: f64,
) -> Result<C, Error> {
    let token = std::str::from_utf8(token).map_err(|_| errors::token_invalid())?;
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(errors::token_invalid());
    };
    let header_value: Value = decode_json(header)?;
    let claims = match decode_json(payload)? {
        Value::Object(map) => map,
        // Go decodes `null` into an empty claims map without complaint.
        Value::Null => Map::new(),
        _ => return Err(errors::token_invalid()),
    };
    let registered = Registered {
        exp: claims.get("exp").cloned(),
        nbf: claims.get("nbf").cloned(),
        iss: rules.issuer.as_ref().and(claims.get("iss").cloned()),
        aud: (!rules.audience.is_empty())
            .then(|| claims.get("aud").cloned())
            .flatten(),
    };
    let claims: C =
        serde_json::from_value(Value::Object(claims)).map_err(|_| errors::token_invalid())?;
    let Some(alg) = header_value.get("alg").and_then(Value::as_str) else {
        return Err(errors::token_invalid());
    };
    let alg = match Algorithm::from_str(alg) {
        Ok(alg) => alg,
        Err(_) if KNOWN_UNVERIFIABLE.contains(&alg) => return Err(errors::token_parse_fail()),
        Err(_) => return Err(errors::token_invalid()),
    };
    let signature = SEGMENT
        .decode(signature)
        .map_err(|_| errors::token_invalid())?;
    let header = Header::deserialize(&header_value).map_err(|_| errors::token_invalid())?;
    let key = keys.key(&header).ok_or_else(errors::token_invalid)?;
    let message = &token.as_bytes()[..header_len(token)];
    if !signature_holds(alg, &key, message, &signature) {
        return Err(errors::token_parse_fail());
    }
    check_claims(&registered, rules, now)?;
    if alg != expected {
        return Err(errors::unsupported_signing_method());
    }
    Ok(claims)
}

/// The length of `header.payload`, the signed part.
fn header_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

fn decode_json(segment: &str) -> Result<Value, Error> {
    let bytes = SEGMENT
        .decode(segment)
        .map_err(|_| errors::token_invalid())?;
    serde_json::from_slice(&bytes).map_err(|_| errors::token_invalid())
}

/// True when `signature` is `alg`'s signature of `message` under `key`; a key of
/// another family than `alg` (an RSA key for HS256) does not verify anything.
fn signature_holds(alg: Algorithm, key: &DecodingKey, message: &[u8], signature: &[u8]) -> bool {
    let Some(provider) = CryptoProvider::try_get_default() else {
        return false;
    };
    match (provider.verifier_factory)(&alg, key) {
        Ok(verifier) => verifier.verify(message, &signature.to_vec()).is_ok(),
        Err(_) => false,
    }
}

/// The time claims, always, and the configured rules, as golang-jwt's validator:
/// every check runs, and a failed time check decides the message.
fn check_claims(claims: &Registered, rules: &Rules, now: f64) -> Result<(), Error> {
    let leeway = rules.leeway.as_secs_f64();
    let mut timing = false;
    let mut other = false;
    match numeric_date(claims.exp.as_ref()) {
        Ok(Some(exp)) => timing |= now >= exp + leeway,
        Ok(None) => other |= rules.require_exp,
        Err(()) => other = true,
    }
    match numeric_date(claims.nbf.as_ref()) {
        Ok(Some(nbf)) => timing |= now < nbf - leeway,
        Ok(None) => {}
        Err(()) => other = true,
    }
    if let Some(issuer) = &rules.issuer {
        other |= claims.iss.as_ref().and_then(Value::as_str) != Some(issuer.as_str());
    }
    if !rules.audience.is_empty() {
        other |= !audience_matches(claims.aud.as_ref(), &rules.audience);
    }
    if timing {
        Err(errors::token_expired())
    } else if other {
        Err(errors::token_parse_fail())
    } else {
        Ok(())
    }
}

/// A NumericDate claim in whole seconds (golang-jwt truncates to the second);
/// `Err` when it is there but not a number (`null` included, as in Go).
fn numeric_date(value: Option<&Value>) -> Result<Option<f64>, ()> {
    match value {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(|s| Some(s.floor())).ok_or(()),
        Some(_) => Err(()),
    }
}

/// True when `aud` (a string or an array of strings) names one of `expected`.
fn audience_matches(aud: Option<&Value>, expected: &[String]) -> bool {
    let named = |a: &str| expected.iter().any(|e| e == a);
    match aud {
        Some(Value::String(a)) => named(a),
        Some(Value::Array(list)) => {
            let names: Option<Vec<&str>> = list.iter().map(Value::as_str).collect();
            names.is_some_and(|names| names.into_iter().any(named))
        }
        _ => false,
    }
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;

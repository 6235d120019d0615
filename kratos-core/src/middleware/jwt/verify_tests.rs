//! golang-jwt's order of checks, one bad token at a time, with a fixed clock.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{Map, Value, json};

use super::{Keys, Rules, verify};

const SECRET: &[u8] = b"testKey";
const NOW: f64 = 1_000_000.5;

fn segment(json: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(json).unwrap())
}

/// A token with this header and claims, signed with `SECRET` under `alg`.
fn signed(header: Value, claims: Value, alg: Algorithm) -> String {
    let message = format!("{}.{}", segment(&header), segment(&claims));
    let key = EncodingKey::from_secret(SECRET).unwrap();
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, alg).unwrap();
    format!("{message}.{signature}")
}

fn hs(alg: &str, claims: Value) -> String {
    let algorithm = alg.parse().unwrap();
    signed(json!({"alg": alg, "typ": "JWT"}), claims, algorithm)
}

fn key() -> Keys {
    Keys::One(DecodingKey::from_secret(SECRET).unwrap())
}

fn check_with(token: &str, rules: &Rules) -> Result<Map<String, Value>, String> {
    verify(token.as_bytes(), &key(), Algorithm::HS256, rules, NOW).map_err(|e| {
        assert_eq!((e.code, e.reason.as_str()), (401, "UNAUTHORIZED"));
        e.message
    })
}

fn check(token: &str) -> Result<Map<String, Value>, String> {
    check_with(token, &Rules::default())
}

const INVALID: &str = "Token is invalid";
const EXPIRED: &str = "JWT token has expired";
const PARSE: &str = "Fail to parse JWT token ";
const METHOD: &str = "Wrong signing method";

#[test]
fn a_good_token_gives_its_claims_and_nothing_is_required() {
    let claims = check(&hs("HS256", json!({"name": "xiaoli", "n": 7}))).unwrap();
    assert_eq!(Value::Object(claims), json!({"name": "xiaoli", "n": 7}));
    assert!(check(&hs("HS256", json!({}))).is_ok(), "no exp needed");
    assert!(
        check(&hs("HS256", Value::Null)).is_ok(),
        "Go takes null claims as empty"
    );
}

#[test]
fn exp_and_nbf_are_whole_seconds_with_no_leeway() {
    let at = |exp: f64| check(&hs("HS256", json!({ "exp": exp })));
    assert!(at(1_000_001.0).is_ok());
    assert_eq!(at(1_000_000.0).unwrap_err(), EXPIRED, "now is past exp");
    assert_eq!(
        at(1_000_000.9).unwrap_err(),
        EXPIRED,
        "exp truncated to the second"
    );
    let nbf = |nbf: f64| check(&hs("HS256", json!({ "nbf": nbf })));
    assert!(nbf(1_000_000.0).is_ok());
    assert_eq!(
        nbf(1_000_001.0).unwrap_err(),
        EXPIRED,
        "not yet valid says expired"
    );
    let lenient = Rules {
        leeway: Duration::from_secs(2),
        ..Rules::default()
    };
    assert!(check_with(&hs("HS256", json!({"exp": 999_999})), &lenient).is_ok());
    assert!(check_with(&hs("HS256", json!({"nbf": 1_000_002})), &lenient).is_ok());
}

#[test]
fn claims_of_the_wrong_type_fail_to_parse() {
    for claims in [
        json!({"exp": "soon"}),
        json!({"exp": null}),
        json!({"nbf": true}),
    ] {
        assert_eq!(
            check(&hs("HS256", claims.clone())).unwrap_err(),
            PARSE,
            "{claims}"
        );
    }
    assert_eq!(check(&hs("HS256", json!([1]))).unwrap_err(), INVALID);
}

#[test]
fn the_algorithm_is_compared_after_signature_and_claims_as_in_go() {
    assert_eq!(check(&hs("HS384", json!({}))).unwrap_err(), METHOD);
    assert_eq!(check(&hs("HS512", json!({"exp": 1}))).unwrap_err(), EXPIRED);
    let rsa = signed(json!({"alg": "RS256"}), json!({}), Algorithm::HS256);
    assert_eq!(
        check(&rsa).unwrap_err(),
        PARSE,
        "an HMAC key verifies no RS256 token"
    );
    let none = format!(
        "{}.{}.",
        segment(&json!({"alg": "none"})),
        segment(&json!({}))
    );
    assert_eq!(
        check(&none).unwrap_err(),
        PARSE,
        "golang-jwt knows none and refuses it"
    );
    let unknown = signed(json!({"alg": "XY256"}), json!({}), Algorithm::HS256);
    assert_eq!(check(&unknown).unwrap_err(), INVALID);
    let no_alg = signed(json!({"typ": "JWT"}), json!({}), Algorithm::HS256);
    assert_eq!(check(&no_alg).unwrap_err(), INVALID);
}

#[test]
fn malformed_tokens_are_invalid_and_bad_signatures_fail_to_parse() {
    let good = hs("HS256", json!({"sub": "a"}));
    for bad in ["", "12313123", "a.b", "a.b.c.d", "..", "%%%.e30.e30"] {
        assert_eq!(check(bad).unwrap_err(), INVALID, "{bad:?}");
    }
    assert_eq!(check(&format!("{good}.")).unwrap_err(), INVALID);
    assert_eq!(
        check(&format!("{good}=")).unwrap_err(),
        INVALID,
        "no padding"
    );
    let (message, signature) = good.rsplit_once('.').unwrap();
    let mut flipped = signature.as_bytes().to_vec();
    flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{message}.{}", String::from_utf8(flipped).unwrap());
    assert_eq!(check(&tampered).unwrap_err(), PARSE);
    let other_claims = format!(
        "{}.{}.{signature}",
        segment(&json!({"alg": "HS256"})),
        segment(&json!({"sub": "b"}))
    );
    assert_eq!(check(&other_claims).unwrap_err(), PARSE);
    // 32 bytes end in a character with 2 unused bits: Go ignores them, so do we.
    let last = signature.as_bytes()[signature.len() - 1];
    let trailing = format!("{}{}", &good[..good.len() - 1], (last + 1) as char);
    assert!(
        check(&trailing).is_ok(),
        "non-zero trailing bits still decode"
    );
    let bad_claims = format!("{}.%%%.{signature}", segment(&json!({"alg": "HS256"})));
    assert_eq!(
        check(&bad_claims).unwrap_err(),
        INVALID,
        "claims decode before the signature"
    );
}

#[test]
fn configured_rules_fail_to_parse_unless_a_time_claim_failed_too() {
    let rules = Rules {
        require_exp: true,
        issuer: Some("kratos".into()),
        audience: vec!["api".into(), "web".into()],
        ..Rules::default()
    };
    let ok = json!({"exp": 2_000_000, "iss": "kratos", "aud": ["x", "web"]});
    assert!(check_with(&hs("HS256", ok), &rules).is_ok());
    let cases = [
        json!({"iss": "kratos", "aud": "api"}),
        json!({"exp": 2_000_000, "iss": "other", "aud": "api"}),
        json!({"exp": 2_000_000, "iss": "kratos", "aud": "nope"}),
        json!({"exp": 2_000_000, "iss": "kratos", "aud": ["api", 1]}),
        json!({"exp": 2_000_000, "aud": "api"}),
    ];
    for claims in cases {
        let err = check_with(&hs("HS256", claims.clone()), &rules).unwrap_err();
        assert_eq!(err, PARSE, "{claims}");
    }
    let both = json!({"exp": 1, "iss": "other"});
    assert_eq!(check_with(&hs("HS256", both), &rules).unwrap_err(), EXPIRED);
}

#[test]
fn the_key_is_chosen_by_the_header_and_a_missing_one_is_invalid() {
    let keys = Keys::Chosen(Arc::new(|h: &jsonwebtoken::Header| {
        (h.kid.as_deref() == Some("k1")).then(|| DecodingKey::from_secret(SECRET).unwrap())
    }));
    let with_kid = |kid: &str| {
        signed(
            json!({"alg": "HS256", "kid": kid}),
            json!({}),
            Algorithm::HS256,
        )
    };
    let run = |t: String| {
        verify::<Value>(
            t.as_bytes(),
            &keys,
            Algorithm::HS256,
            &Rules::default(),
            NOW,
        )
    };
    assert!(run(with_kid("k1")).is_ok());
    assert_eq!(run(with_kid("k2")).unwrap_err().message, INVALID);
}

#[test]
fn claims_that_do_not_fit_the_users_type_are_invalid() {
    #[derive(serde::Deserialize, Debug)]
    struct Mine {
        #[allow(dead_code)]
        uid: u64,
    }
    let token = hs("HS256", json!({"uid": "not a number"}));
    let err = verify::<Mine>(
        token.as_bytes(),
        &key(),
        Algorithm::HS256,
        &Rules::default(),
        NOW,
    );
    assert_eq!(err.unwrap_err().message, INVALID);
    let token = hs("HS256", json!({"uid": 5}));
    let ok = verify::<Mine>(
        token.as_bytes(),
        &key(),
        Algorithm::HS256,
        &Rules::default(),
        NOW,
    );
    assert_eq!(ok.unwrap().uid, 5);
}

//! Tests of the AIP adapter: every rule, hygiene, limits, opt-ins, cache,
//! batch equality and never-panic on mutated input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;

use crate::crypto::SigningKey;
use crate::json::Json;
use crate::replay::MemoryReplayCache;
use crate::text::b64url_encode;

use super::dpop::{self, ProofClaims};
use super::keyid::id_of_key;
use super::*;

const NOW: i64 = 1_700_000_000;
const ISSUER: &str = "aip:web:example.com/root";

fn key(n: u8) -> SigningKey {
    SigningKey::from_seed(&[n; 32])
}

fn jwk(k: &SigningKey) -> Json {
    Json::Object(vec![(
        "jwk".into(),
        Json::Object(vec![
            ("kty".into(), Json::str("OKP")),
            ("crv".into(), Json::str("Ed25519")),
            ("x".into(), Json::str(b64url_encode(&k.public_key()))),
        ]),
    )])
}

fn sign_raw(signer: &SigningKey, header: &str, payload: &str) -> String {
    let input = format!(
        "{}.{}",
        b64url_encode(header.as_bytes()),
        b64url_encode(payload.as_bytes())
    );
    let sig = signer.sign(input.as_bytes());
    format!("{input}.{}", b64url_encode(&sig))
}

const LINK_HEADER: &str = r#"{"alg":"EdDSA","typ":"aip-link+jwt"}"#;

fn sign(signer: &SigningKey, claims: &[(&str, Json)]) -> String {
    let payload = Json::Object(
        claims
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    );
    sign_raw(signer, LINK_HEADER, &payload.to_text())
}

fn strs(v: &[&str]) -> Json {
    Json::Array(v.iter().map(|s| Json::str(*s)).collect())
}

/// A chain builder: the root link's claims, then delegation links.
struct Chain {
    segments: Vec<String>,
    subs: Vec<String>,
}

fn root_claims(holder: &SigningKey) -> Vec<(&'static str, Json)> {
    vec![
        ("iss", Json::str(ISSUER)),
        ("sub", Json::str("agent-0")),
        ("iat", Json::Int(NOW)),
        ("exp", Json::Int(NOW + 3600)),
        ("jti", Json::str("jti-0")),
        ("aip_tools", strs(&["tool:*"])),
        ("aip_max_depth", Json::Int(5)),
        ("cnf", jwk(holder)),
    ]
}

fn root_with(edit: impl FnOnce(&mut Vec<(&'static str, Json)>)) -> Chain {
    let mut claims = root_claims(&key(1));
    edit(&mut claims);
    let sub = claims
        .iter()
        .find(|(k, _)| *k == "sub")
        .and_then(|(_, v)| {
            if let Json::Str(s) = v {
                Some(s.clone())
            } else {
                None
            }
        })
        .unwrap_or_default();
    Chain {
        segments: vec![sign(&key(0), &claims)],
        subs: vec![sub],
    }
}

fn root() -> Chain {
    root_with(|_| {})
}

impl Chain {
    fn depth(&self) -> usize {
        self.segments.len() - 1
    }

    /// Appends a link signed by the current holder (key depth+1) naming key
    /// depth+2; `edit` changes the claims.
    fn delegate_with(mut self, edit: impl FnOnce(&mut Vec<(&'static str, Json)>)) -> Chain {
        let n = self.depth() + 1;
        let signer = key(n as u8);
        let next = key(n as u8 + 1);
        let sub = format!("agent-{n}");
        let mut claims = vec![
            ("iss", Json::str(self.subs.last().unwrap().clone())),
            ("sub", Json::str(sub.clone())),
            ("iat", Json::Int(NOW)),
            ("jti", Json::str(format!("jti-{n}"))),
            ("prev", Json::str(prev(self.segments.last().unwrap()))),
            ("aip_ctx", Json::str("because")),
            ("cnf", jwk(&next)),
        ];
        edit(&mut claims);
        self.segments.push(sign(&signer, &claims));
        self.subs.push(sub);
        self
    }

    fn delegate(self) -> Chain {
        self.delegate_with(|_| {})
    }

    fn text(&self) -> String {
        self.segments.join("~")
    }
}

fn prev(segment: &str) -> String {
    dpop::token_hash(segment)
}

fn set(claims: &mut Vec<(&'static str, Json)>, name: &'static str, value: Json) {
    match claims.iter_mut().find(|(k, _)| *k == name) {
        Some(slot) => slot.1 = value,
        None => claims.push((name, value)),
    }
}

fn remove(claims: &mut Vec<(&'static str, Json)>, name: &str) {
    claims.retain(|(k, _)| *k != name);
}

fn policy() -> AipPolicy {
    let mut issuers = HashMap::new();
    issuers.insert(ISSUER.to_string(), key(0).public_key());
    AipPolicy::new(issuers)
}

fn verifier_with(edit: impl FnOnce(&mut AipPolicy)) -> AipVerifier {
    let mut p = policy();
    edit(&mut p);
    AipVerifier::new(
        p,
        Some(Arc::new(MemoryReplayCache::new(1000))),
        1000,
        Some(1),
    )
    .unwrap()
}

fn verifier() -> AipVerifier {
    verifier_with(|_| {})
}

fn request(token: &str, tool: &str) -> AipRequest {
    AipRequest {
        token: token.to_string(),
        tool: tool.to_string(),
        ..AipRequest::default()
    }
}

fn code(v: &AipVerifier, token: &str, tool: &str) -> Option<&'static str> {
    v.verify(request(token, tool), NOW)
        .reason()
        .map(AipReason::code)
}

fn check(token: &str, expected: Option<&str>) {
    assert_eq!(
        code(&verifier(), token, "tool:search"),
        expected,
        "token {token}"
    );
}

#[test]
fn valid_chains_are_accepted_at_every_depth() {
    let mut chain = root();
    for depth in 0..=4 {
        let v = verifier();
        let verdict = v.verify(request(&chain.text(), "tool:search"), NOW);
        let AipVerdict::Accepted(e) = &verdict else {
            panic!("depth {depth}: {verdict:?}")
        };
        assert_eq!(e.links.len(), depth + 1);
        assert_eq!(e.holder, format!("agent-{depth}"));
        assert_eq!(e.issuer, ISSUER);
        assert_eq!(e.mode, Mode::JwtChain);
        assert_eq!(
            e.links.last().unwrap().holder_key,
            Some(key(depth as u8 + 1).public_key())
        );
        chain = chain.delegate();
    }
}

#[test]
fn token_level_codes() {
    check("", Some("aip_token_missing"));
    let t = root().delegate().text();
    check(&format!("{t}~"), Some("aip_token_malformed"));
    check(&format!("~{t}"), Some("aip_token_malformed"));
    check(&t.replacen('~', "~~", 1), Some("aip_token_malformed"));
    check("not-a-jws", Some("aip_token_malformed"));
}

#[test]
fn integrity_rules() {
    // Tampered payload byte: the signature fails.
    let chain = root().delegate();
    let mut bad = chain.segments.clone();
    bad[1] = bad[1].replacen("eyJ", "eyK", 1);
    check(&bad.join("~"), Some("aip_token_malformed")); // header no longer decodes
    let (head, sig) = chain.segments[1].rsplit_once('.').unwrap();
    let mut sig = sig.to_string();
    sig.replace_range(0..1, if sig.starts_with('A') { "B" } else { "A" });
    check(
        &format!("{}~{head}.{sig}", chain.segments[0]),
        Some("aip_signature_invalid"),
    );
    // Wrong signer for a delegation link.
    let wrong = root().delegate();
    let claims_text = {
        let p = wrong.segments[1].split('.').nth(1).unwrap();
        String::from_utf8(crate::text::b64url_decode(p).unwrap()).unwrap()
    };
    let forged = sign_raw(&key(9), LINK_HEADER, &claims_text);
    check(
        &format!("{}~{forged}", wrong.segments[0]),
        Some("aip_signature_invalid"),
    );
    // prev wrong, iss not the previous sub.
    check(
        &root()
            .delegate_with(|c| set(c, "prev", Json::str("x")))
            .text(),
        Some("aip_signature_invalid"),
    );
    check(
        &root()
            .delegate_with(|c| set(c, "iss", Json::str("someone")))
            .text(),
        Some("aip_signature_invalid"),
    );
    // Header pin: alg none, typ JWT.
    let claims = root_claims(&key(1));
    let payload = Json::Object(
        claims
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    );
    for header in [
        r#"{"alg":"none","typ":"aip-link+jwt"}"#,
        r#"{"alg":"EdDSA","typ":"JWT"}"#,
    ] {
        check(
            &sign_raw(&key(0), header, &payload.to_text()),
            Some("aip_signature_invalid"),
        );
    }
    // Extra header members are allowed, as by the SDK.
    check(
        &sign_raw(
            &key(0),
            r#"{"alg":"EdDSA","typ":"aip-link+jwt","kid":"k1"}"#,
            &payload.to_text(),
        ),
        None,
    );
    // Links of another chain spliced in: prev fails.
    let other = root_with(|c| set(c, "jti", Json::str("other"))).delegate();
    check(
        &format!("{}~{}", root().segments[0], other.segments[1]),
        Some("aip_signature_invalid"),
    );
}

#[test]
fn root_binding() {
    // Unknown issuer: identity unresolvable, even with a valid signature.
    let t = root_with(|c| set(c, "iss", Json::str("aip:web:evil.example"))).text();
    check(&t, Some("aip_identity_unresolvable"));
    // The right issuer signed by the wrong key: signature invalid.
    let mut claims = root_claims(&key(1));
    set(&mut claims, "iss", Json::str(ISSUER));
    check(&sign(&key(7), &claims), Some("aip_signature_invalid"));
    // Self-certifying id: resolved unless turned off.
    let id = id_of_key(&key(0).public_key());
    let t = root_with(|c| set(c, "iss", Json::str(id.clone()))).text();
    check(&t, None);
    let off = verifier_with(|p| p.resolve_key_ids = false);
    assert_eq!(code(&off, &t, "tool:x"), Some("aip_identity_unresolvable"));
    // An id naming another key than the signer's.
    let other = id_of_key(&key(5).public_key());
    check(
        &root_with(|c| set(c, "iss", Json::str(other))).text(),
        Some("aip_signature_invalid"),
    );
    // A malformed link 0 stays malformed rather than unresolvable.
    check("a.b", Some("aip_token_malformed"));
}

#[test]
fn attenuation_rules() {
    let cases: Vec<(Chain, Option<&str>)> = vec![
        (
            root().delegate_with(|c| set(c, "aip_tools", strs(&["tool:search"]))),
            None,
        ),
        (
            root().delegate_with(|c| set(c, "aip_tools", strs(&["admin"]))),
            Some("aip_scope_insufficient"),
        ),
        (
            root().delegate_with(|c| set(c, "aip_tools", strs(&[]))),
            Some("aip_token_malformed"),
        ),
        (
            root_with(|c| set(c, "aip_domains", strs(&["a.com"])))
                .delegate_with(|c| set(c, "aip_domains", strs(&["a.com", "b.com"]))),
            Some("aip_scope_insufficient"),
        ),
        (
            root().delegate_with(|c| set(c, "aip_domains", strs(&["any.com"]))),
            None,
        ),
        (
            root_with(|c| set(c, "aip_budget_cents", Json::Int(100)))
                .delegate_with(|c| set(c, "aip_budget_cents", Json::Int(101))),
            Some("aip_budget_exceeded"),
        ),
        (
            root_with(|c| set(c, "aip_budget_cents", Json::Int(100)))
                .delegate_with(|c| set(c, "aip_budget_cents", Json::Int(100))),
            None,
        ),
        (
            root_with(|c| set(c, "aip_budget_cents", Json::Int(-1))),
            Some("aip_budget_exceeded"),
        ),
        (
            root().delegate_with(|c| set(c, "exp", Json::Int(NOW + 3601))),
            Some("aip_token_expired"),
        ),
        (
            root().delegate_with(|c| set(c, "exp", Json::Int(NOW - 1))),
            Some("aip_token_expired"),
        ),
        (
            root().delegate_with(|c| set(c, "exp", Json::Int(NOW))),
            None,
        ),
        (
            root_with(|c| set(c, "exp", Json::Int(NOW - 1))),
            Some("aip_token_expired"),
        ),
        (root_with(|c| set(c, "exp", Json::Int(NOW))), None),
        (
            root_with(|c| set(c, "aip_principal", Json::str("alice")))
                .delegate_with(|c| set(c, "aip_principal", Json::str("mallory"))),
            Some("aip_token_malformed"),
        ),
        (
            root().delegate_with(|c| set(c, "aip_principal", Json::str("alice"))),
            None,
        ),
        (
            root().delegate_with(|c| set(c, "aip_max_depth", Json::Int(3))),
            Some("aip_token_malformed"),
        ),
        (
            root().delegate_with(|c| remove(c, "aip_ctx")),
            Some("aip_token_malformed"),
        ),
        (
            root().delegate_with(|c| set(c, "aip_ctx", Json::str(" \t\u{1c}\u{3000}"))),
            Some("aip_token_malformed"),
        ),
        (
            root_with(|c| set(c, "aip_max_depth", Json::Int(1)))
                .delegate()
                .delegate(),
            Some("aip_depth_exceeded"),
        ),
        (
            root_with(|c| set(c, "aip_max_depth", Json::Int(1))).delegate(),
            None,
        ),
        (
            root_with(|c| set(c, "aip_max_depth", Json::Int(-1))),
            Some("aip_token_malformed"),
        ),
        (
            root_with(|c| remove(c, "aip_max_depth")),
            Some("aip_token_malformed"),
        ),
        (
            root_with(|c| remove(c, "aip_tools")),
            Some("aip_token_malformed"),
        ),
        (root_with(|c| remove(c, "exp")), Some("aip_token_malformed")),
        (
            root_with(|c| set(c, "exp", Json::Null)),
            Some("aip_token_malformed"),
        ),
        (
            root_with(|c| set(c, "exp", Json::str("1"))),
            Some("aip_token_malformed"),
        ),
        (
            root_with(|c| set(c, "aip_tools", Json::str("tool:*"))),
            Some("aip_token_malformed"),
        ),
        (
            root_with(|c| set(c, "aud", Json::str("x"))),
            Some("aip_token_malformed"),
        ),
        (root_with(|c| set(c, "aud", Json::str(""))), None),
        (
            root_with(|c| set(c, "sub", Json::Int(3))),
            Some("aip_token_malformed"),
        ),
        (
            root_with(|c| set(c, "jti", Json::Null)),
            Some("aip_token_malformed"),
        ),
        (root_with(|c| remove(c, "cnf")), Some("aip_token_malformed")),
    ];
    for (i, (chain, expected)) in cases.iter().enumerate() {
        assert_eq!(
            code(&verifier(), &chain.text(), "tool:search"),
            *expected,
            "case {i}"
        );
    }
}

#[test]
fn big_integers_compare_exactly() {
    let big = |s: &str| {
        let t = root_with(|c| set(c, "exp", Json::Int(0))).text();
        // Replace the exp literal inside a re-signed payload.
        let _ = t;
        let claims = root_claims(&key(1));
        let payload = Json::Object(
            claims
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
        .to_text()
        .replace(&format!("\"exp\":{}", NOW + 3600), &format!("\"exp\":{s}"));
        sign_raw(&key(0), LINK_HEADER, &payload)
    };
    check(&big("1180591620717411303424"), None);
    check(&big("-1180591620717411303424"), Some("aip_token_expired"));
    check(&big("1e30"), Some("aip_token_malformed"));
}

#[test]
fn request_authorisation() {
    let v = verifier();
    let t = root_with(|c| set(c, "aip_domains", strs(&["a.com"])))
        .delegate_with(|c| set(c, "aip_tools", strs(&["tool:read*"])))
        .text();
    let with_domain = |tool: &str, domain: Option<&str>| {
        let mut r = request(&t, tool);
        r.domain = domain.map(str::to_string);
        v.verify(r, NOW).reason().map(AipReason::code)
    };
    assert_eq!(with_domain("tool:readme", None), None);
    assert_eq!(with_domain("tool:read", Some("a.com")), None);
    assert_eq!(
        with_domain("tool:write", None),
        Some("aip_scope_insufficient")
    );
    assert_eq!(
        with_domain("tool:read", Some("b.com")),
        Some("aip_scope_insufficient")
    );
    assert!(walk::covers("*", "x"));
    assert!(walk::covers("tool:*", "tool:"));
    assert!(!walk::covers("tool:search", "tool:*"));
    assert!(!walk::covers("to*l", "tool"));
}

fn legacy(payload: &str, header: &str) -> String {
    sign_raw(&key(0), header, payload)
}

#[test]
fn legacy_compact_tokens() {
    let h = r#"{"alg":"EdDSA","typ":"aip+jwt"}"#;
    let body = |extra: &str| {
        format!(
            r#"{{"iss":"{ISSUER}","sub":"agent","scope":["tool:search","tool:*"],"budget_usd":1.5,"max_depth":0,"iat":{NOW},"exp":{}{extra}}}"#,
            NOW + 60
        )
    };
    let v = verifier();
    let verdict = v.verify(request(&legacy(&body(""), h), "tool:x"), NOW);
    let AipVerdict::Accepted(e) = verdict else {
        panic!("{verdict:?}")
    };
    assert_eq!(e.mode, Mode::Compact);
    assert_eq!(
        e.effective.budget_cents,
        Some(crate::json_parse::Int::Small(150))
    );
    let cases = [
        (
            legacy(&body(""), r#"{"alg":"none","typ":"aip+jwt"}"#),
            Some("aip_token_malformed"),
        ),
        (
            legacy(&body(r#","nbf":9999999999"#), h),
            Some("aip_token_malformed"),
        ),
        (
            legacy(&body(r#","aud":"x""#), h),
            Some("aip_token_malformed"),
        ),
        (
            legacy(
                &body("").replace(&format!("\"exp\":{}", NOW + 60), &format!("\"exp\":{NOW}")),
                h,
            ),
            Some("aip_token_expired"),
        ),
        (
            legacy(
                &body("").replace(&format!("\"iat\":{NOW}"), &format!("\"iat\":{}", NOW + 1)),
                h,
            ),
            Some("aip_token_malformed"),
        ),
        (
            legacy(&body("").replace("1.5", "\"nan\""), h),
            Some("aip_token_malformed"),
        ),
        (
            legacy(&body("").replace("1.5", "-0.01"), h),
            Some("aip_budget_exceeded"),
        ),
        (legacy(&body("").replace("1.5", "-0.001"), h), None),
        (
            legacy(
                &body("").replace("\"max_depth\":0", "\"max_depth\":\"2\""),
                h,
            ),
            None,
        ),
        (
            legacy(&body("").replace("\"max_depth\":0", "\"max_depth\":-1"), h),
            Some("aip_token_malformed"),
        ),
        (
            legacy(
                &body("").replace("\"max_depth\":0", "\"max_depth\":null"),
                h,
            ),
            Some("aip_token_malformed"),
        ),
        (
            legacy(&body("").replace("[\"tool:search\",\"tool:*\"]", "[]"), h),
            Some("aip_token_malformed"),
        ),
        (
            legacy(&body("").replace(ISSUER, "aip:web:other"), h),
            Some("aip_identity_unresolvable"),
        ),
        // Pydantic's lax coercions, and their edges.
        (
            legacy(
                &body("").replace("\"max_depth\":0", "\"max_depth\":\" 3.00 \""),
                h,
            ),
            None,
        ),
        (
            legacy(
                &body("").replace("\"max_depth\":0", "\"max_depth\":\"3.5\""),
                h,
            ),
            Some("aip_token_malformed"),
        ),
        (
            legacy(
                &body("").replace("\"max_depth\":0", "\"max_depth\":1e19"),
                h,
            ),
            Some("aip_token_malformed"),
        ),
        (
            legacy(
                &body("").replace("\"max_depth\":0", "\"max_depth\":9.2e18"),
                h,
            ),
            None,
        ),
        (
            legacy(
                &body("").replace("\"max_depth\":0", "\"max_depth\":true"),
                h,
            ),
            None,
        ),
        (legacy(&body("").replace("1.5", "\"1_000.5\""), h), None),
        (
            legacy(&body("").replace("1.5", "\"1__0\""), h),
            Some("aip_token_malformed"),
        ),
        (
            legacy(
                &body("").replace(&format!("\"iat\":{NOW}"), "\"iat\":\"1_000\""),
                h,
            ),
            None,
        ),
        (
            legacy(
                &body("").replace(&format!("\"iat\":{NOW}"), "\"iat\":\"1000.0\""),
                h,
            ),
            Some("aip_token_malformed"),
        ),
    ];
    for (i, (token, expected)) in cases.iter().enumerate() {
        assert_eq!(code(&v, token, "tool:x"), *expected, "case {i}");
    }
}

#[test]
fn hygiene_is_stricter_than_the_sdk() {
    let claims = root_claims(&key(1));
    let payload = Json::Object(
        claims
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
    .to_text();
    // Duplicate member (the key still resolves: lenient read of iss).
    let dup = payload.replacen('{', r#"{"jti":"a","#, 1);
    check(
        &sign_raw(&key(0), LINK_HEADER, &dup),
        Some("aip_token_malformed"),
    );
    let nan = payload.replacen('{', r#"{"x":NaN,"#, 1);
    check(
        &sign_raw(&key(0), LINK_HEADER, &nan),
        Some("aip_token_malformed"),
    );
    let lone = payload.replacen('{', r#"{"x":"\ud800","#, 1);
    check(
        &sign_raw(&key(0), LINK_HEADER, &lone),
        Some("aip_token_malformed"),
    );
    // Padding on a segment (re-signed over the padded text).
    let input = format!(
        "{}=.{}",
        b64url_encode(LINK_HEADER.as_bytes()),
        b64url_encode(payload.as_bytes())
    );
    let padded = format!("{input}.{}", b64url_encode(&key(0).sign(input.as_bytes())));
    check(&padded, Some("aip_token_malformed"));
    // Non-canonical trailing bits in cnf.jwk.x.
    let x = b64url_encode(&key(1).public_key());
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bent = x.clone();
    let last = bent.pop().unwrap();
    // The last of 43 characters carries 2 unused bits: set the lowest.
    let index = alphabet.find(last).unwrap() ^ 1;
    bent.push(alphabet.as_bytes()[index] as char);
    let bent_payload = payload.replace(&x, &bent);
    assert_ne!(bent_payload, payload);
    check(
        &sign_raw(&key(0), LINK_HEADER, &bent_payload),
        Some("aip_token_malformed"),
    );
}

#[test]
fn limits_hold_just_under_and_over() {
    let chain = {
        let mut c = root_with(|c| set(c, "aip_max_depth", Json::Int(100)));
        for _ in 0..3 {
            c = c.delegate();
        }
        c
    };
    let t = chain.text();
    let at = |edit: &dyn Fn(&mut AipPolicy)| code(&verifier_with(|p| edit(p)), &t, "tool:x");
    assert_eq!(at(&|p| p.limits.max_token_bytes = t.len()), None);
    assert_eq!(
        at(&|p| p.limits.max_token_bytes = t.len() - 1),
        Some("aip_token_malformed")
    );
    assert_eq!(at(&|p| p.limits.max_links = 4), None);
    assert_eq!(at(&|p| p.limits.max_links = 3), Some("aip_token_malformed"));
    let tools = root_with(|c| set(c, "aip_tools", strs(&["a", "b", "tool:*"]))).text();
    let lists = |n: usize| {
        code(
            &verifier_with(|p| p.limits.max_list_len = n),
            &tools,
            "tool:x",
        )
    };
    assert_eq!(lists(3), None);
    assert_eq!(lists(2), Some("aip_token_malformed"));
    // The cnf object nests 3 deep.
    let depth = |n: usize| {
        code(
            &verifier_with(|p| p.limits.max_json_depth = n),
            &t,
            "tool:x",
        )
    };
    assert_eq!(depth(3), None);
    assert_eq!(depth(2), Some("aip_token_malformed"));
    let mut big = vec![request(&t, "tool:x"); 3];
    let v = verifier_with(|p| p.limits.max_batch = 3);
    assert!(v.verify_batch(big.clone(), NOW).iter().all(AipVerdict::ok));
    big.push(request(&t, "tool:x"));
    assert!(v.verify_batch(big, NOW).iter().all(|x| !x.ok()));
}

fn proof_for(holder: &SigningKey, token: &str, edit: impl FnOnce(&mut ProofClaims)) -> String {
    let mut claims = ProofClaims {
        tool: Some("tool:search".into()),
        iat: NOW,
        ..ProofClaims::default()
    };
    edit(&mut claims);
    dpop::make(holder, token, &claims).unwrap()
}

#[test]
fn proof_of_possession() {
    let chain = root().delegate().delegate();
    let token = chain.text();
    let leaf = key(3);
    let v = verifier_with(|p| p.require_proof = true);
    let run = |token: &str, proof: Option<String>| {
        let mut r = request(token, "tool:search");
        r.proof = proof;
        v.verify(r, NOW).reason().map(AipReason::code)
    };
    assert_eq!(run(&token, None), Some("aip_proof_missing"));
    let good = proof_for(&leaf, &token, |c| c.jti = Some("j1".into()));
    assert_eq!(run(&token, Some(good.clone())), None);
    assert_eq!(run(&token, Some(good)), Some("aip_proof_replayed"));
    // A prefix of the chain: its leaf key is another holder's.
    let prefix = chain.segments[..2].join("~");
    assert_eq!(run(&prefix, None), Some("aip_proof_missing"));
    assert_eq!(
        run(&prefix, Some(proof_for(&leaf, &prefix, |_| {}))),
        Some("aip_proof_invalid")
    );
    // Wrong ath, wrong key, stale, wrong tool, tampered signature.
    assert_eq!(
        run(&token, Some(proof_for(&leaf, &prefix, |_| {}))),
        Some("aip_proof_invalid")
    );
    assert_eq!(
        run(&token, Some(proof_for(&key(2), &token, |_| {}))),
        Some("aip_proof_invalid")
    );
    assert_eq!(
        run(
            &token,
            Some(proof_for(&leaf, &token, |c| c.iat = NOW - 301))
        ),
        Some("aip_proof_invalid")
    );
    assert_eq!(
        run(
            &token,
            Some(proof_for(&leaf, &token, |c| c.iat = NOW + 301))
        ),
        Some("aip_proof_invalid")
    );
    assert_eq!(
        run(
            &token,
            Some(proof_for(&leaf, &token, |c| c.iat = NOW - 300))
        ),
        None
    );
    assert_eq!(
        run(
            &token,
            Some(proof_for(&leaf, &token, |c| c.tool = Some("tool:other".into())))
        ),
        Some("aip_proof_invalid")
    );
    let p = proof_for(&leaf, &token, |_| {});
    let (head, sig) = p.rsplit_once('.').unwrap();
    let flipped = format!(
        "{head}.{}{}",
        if sig.starts_with('A') { "B" } else { "A" },
        &sig[1..]
    );
    assert_eq!(run(&token, Some(flipped)), Some("aip_proof_invalid"));
    // A token the SDK refuses keeps the SDK's code.
    assert_eq!(
        run(&format!("{token}~"), Some(proof_for(&leaf, &token, |_| {}))),
        Some("aip_token_malformed")
    );
    // htm/htu when the caller has them.
    let mut r = request(&token, "tool:search");
    r.method = Some("POST".into());
    r.url = Some("https://mcp.example/rpc".into());
    r.proof = Some(proof_for(&leaf, &token, |c| {
        c.tool = None;
        c.method = Some("POST".into());
        c.url = Some("https://mcp.example/rpc".into());
    }));
    assert!(v.verify(r.clone(), NOW).ok());
    r.method = Some("GET".into());
    assert_eq!(v.verify(r, NOW).reason(), Some(AipReason::ProofInvalid));
    // Optional mode: a given proof is still checked.
    let optional = verifier();
    let mut r = request(&token, "tool:search");
    assert!(optional.verify(r.clone(), NOW).ok());
    r.proof = Some(proof_for(&key(2), &token, |_| {}));
    assert_eq!(
        optional.verify(r, NOW).reason(),
        Some(AipReason::ProofInvalid)
    );
    assert!(dpop::make(&leaf, &token, &ProofClaims::default()).is_err());
}

#[test]
fn audience_and_revocation() {
    let token = root().delegate().text();
    let v = verifier_with(|p| p.audience = Some("agent-1".into()));
    assert_eq!(code(&v, &token, "tool:x"), None);
    let v = verifier_with(|p| p.audience = Some("agent-0".into()));
    assert_eq!(code(&v, &token, "tool:x"), Some("aip_audience_mismatch"));
    let v = verifier();
    v.revoke_jti("jti-1");
    assert_eq!(code(&v, &token, "tool:x"), Some("aip_key_revoked"));
    let v = verifier();
    v.revoke_key(key(2).public_key());
    assert_eq!(code(&v, &token, "tool:x"), Some("aip_key_revoked"));
    let v = verifier();
    v.revoke_key(key(0).public_key());
    assert_eq!(v.verify(request(&token, "tool:x"), NOW).link(), Some(0));
    // Revocation never masks the SDK's own verdict.
    let v = verifier();
    v.revoke_jti("jti-1");
    assert_eq!(code(&v, &token, "admin"), Some("aip_scope_insufficient"));
}

#[test]
fn the_link_cache_never_turns_a_refusal_into_an_acceptance() {
    let token = root().delegate().text();
    let v = verifier();
    assert!(v.verify(request(&token, "tool:x"), NOW).ok());
    assert!(v.verify(request(&token, "tool:x"), NOW).ok());
    let s = v.stats();
    assert_eq!(s.link_cache_hits, 2);
    assert_eq!(s.signatures_checked, 2);
    assert_eq!(code(&v, &token, "other"), Some("aip_scope_insufficient"));
    assert_eq!(
        v.verify(request(&token, "tool:x"), NOW + 3601).reason(),
        Some(AipReason::TokenExpired)
    );
    v.revoke_jti("jti-0");
    assert_eq!(code(&v, &token, "tool:x"), Some("aip_key_revoked"));
    v.clear_caches();
    assert_eq!(v.cached_links(), 0);
    let s = v.stats();
    assert_eq!(s.requests, 5);
    assert_eq!(s.accepted, 2);
}

#[test]
fn batch_equals_single_in_order() {
    let good = root().delegate().text();
    let inputs = vec![
        request(&good, "tool:x"),
        request("", "tool:x"),
        request("garbage~", "tool:x"),
        request(&format!("{good}x"), "tool:x"),
        request(&good, "nope"),
        request(&root().text(), "tool:x"),
    ];
    let mut many = inputs.clone();
    for _ in 0..5 {
        many.extend(inputs.clone());
    }
    for threads in [1, 2] {
        let v = AipVerifier::new(policy(), None, 0, Some(threads)).unwrap();
        let batch = v.verify_batch(many.clone(), NOW);
        assert_eq!(batch.len(), many.len());
        for (r, b) in many.iter().zip(&batch) {
            let single = v.verify(r.clone(), NOW);
            assert_eq!(single.reason(), b.reason());
            assert_eq!(single.link(), b.link());
        }
    }
}

#[test]
fn bad_configuration_is_an_error() {
    let mut p = policy();
    p.trusted_issuers.insert("bad".into(), [0; 32]);
    assert!(matches!(
        AipVerifier::new(p, None, 0, None),
        Err(crate::Error::InvalidKey(_))
    ));
    assert!(AipVerifier::new(policy(), None, 0, Some(0)).is_err());
    let mut p = policy();
    p.audience = Some(String::new());
    assert!(AipVerifier::new(p, None, 0, None).is_err());
    for (depth, ok) in [(0, false), (1, true), (128, true), (129, false)] {
        let mut p = policy();
        p.limits.max_json_depth = depth;
        assert_eq!(AipVerifier::new(p, None, 0, None).is_ok(), ok, "{depth}");
    }
}

#[test]
fn mutated_tokens_never_panic() {
    let chain = root_with(|c| set(c, "aip_domains", strs(&["a"])))
        .delegate()
        .delegate();
    let token = chain.text();
    let v = verifier_with(|p| p.require_proof = true);
    let proof = proof_for(&key(3), &token, |_| {});
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~=";
    let mut batch = Vec::new();
    for _ in 0..400 {
        let mut bytes = token.clone().into_bytes();
        for _ in 0..(1 + next() % 3) {
            let at = (next() as usize) % bytes.len();
            match next() % 3 {
                0 => bytes[at] = alphabet[(next() as usize) % alphabet.len()],
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.truncate(at),
            }
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut r = request(&text, "tool:x");
        r.proof = Some(proof.clone());
        batch.push(r);
    }
    let verdicts = v.verify_batch(batch, NOW);
    assert_eq!(verdicts.len(), 400);
    // Random payload-level JSON too.
    for i in 0..200u64 {
        let junk: String = (0..(i % 40))
            .map(|_| char::from(b"{}[]\",:0-1eE.tfn\\u"[(next() % 18) as usize]))
            .collect();
        let t = sign_raw(&key(0), LINK_HEADER, &junk);
        let _ = v.verify(request(&t, "x"), NOW);
    }
}

#![allow(clippy::unwrap_used)]
//! The engine end to end through its public Rust API: mint, encode, decode,
//! verify one and many. The Python suite covers each rule in depth; these
//! tests pin the core on its own (they also run on aarch64 under emulation).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chainproof_core::caps::{
    Actions, Capability, Constraint, Number, ResourcePattern, Rule, Value,
};
use chainproof_core::crypto::SigningKey;
use chainproof_core::invocation::Invocation;
use chainproof_core::mint::{self, BlockSpec, InvocationSpec};
use chainproof_core::replay::MemoryReplayCache;
use chainproof_core::token::Token;
use chainproof_core::verdict::Reason;
use chainproof_core::verifier::{InvocationInput, Policy, Request, TokenInput, Verifier};
use chainproof_core::{Error, Limits};

const NOW: u64 = 1_800_000_000;

fn key(i: u8) -> SigningKey {
    SigningKey::from_seed(&[i; 32])
}

fn cap(resource: &str, actions: &[&str], max_amount: i64) -> Capability {
    let limits = Limits::default();
    Capability::new(
        ResourcePattern::parse(resource, &limits).unwrap(),
        Actions::new(actions.iter().map(|s| s.to_string()).collect(), &limits).unwrap(),
        vec![Constraint::new("amount", Rule::Max(Number::from_int(max_amount)), &limits).unwrap()],
        &limits,
    )
    .unwrap()
}

fn spec(subject: &SigningKey, caps: Vec<Capability>, depth: u64, id: u8) -> BlockSpec {
    BlockSpec {
        subject: subject.public_key(),
        subject_id: None,
        capabilities: caps,
        purpose: "payments/invoices".into(),
        not_before: NOW - 10,
        expires: NOW + 3600,
        depth,
        audiences: vec!["bank".into()],
        block_id: Some([id; 16]),
        reason: Some(format!("hop {id}")),
        principal: None,
    }
}

/// A chain root(key 0) -> key 1 -> ... -> key `depth + 1`, each hop keeping
/// the parent's capability.
fn chain(depth: u8) -> (Token, SigningKey) {
    let limits = Limits::default();
    let mut root_spec = spec(&key(1), vec![cap("bank/invoices/*", &["pay"], 1000)], 8, 0);
    root_spec.principal = Some("alice".into());
    let mut token = mint::issue(&key(0), root_spec, &limits).unwrap();
    for hop in 1..=depth {
        let s = spec(
            &key(hop + 1),
            vec![cap("bank/invoices/*", &["pay"], 1000)],
            u64::from(8 - hop),
            hop,
        );
        token = mint::delegate(&token, &key(hop), s, &limits, true, false).unwrap();
    }
    (token, key(depth + 1))
}

fn invoke(token: &Token, holder: &SigningKey, amount: i64, nonce: u8) -> Invocation {
    invoke_checked(token, holder, amount, nonce, true)
}

fn invoke_checked(
    token: &Token,
    holder: &SigningKey,
    amount: i64,
    nonce: u8,
    checked: bool,
) -> Invocation {
    let mut args = BTreeMap::new();
    args.insert(
        "amount".to_string(),
        Value::Number(Number::from_int(amount)),
    );
    let spec = InvocationSpec {
        audience: "bank".into(),
        action: "pay".into(),
        resource: "bank/invoices/42".into(),
        args,
        request_digest: None,
        issued_at: NOW,
        nonce: Some(vec![nonce; 16]),
    };
    mint::invoke(token, holder, spec, &Limits::default(), checked).unwrap()
}

fn verifier(replay: bool) -> Verifier {
    let roots: HashSet<[u8; 32]> = [key(0).public_key()].into_iter().collect();
    let cache = replay.then(|| Arc::new(MemoryReplayCache::new(1000)) as _);
    Verifier::new(Policy::new(roots, "bank"), cache, Some(2)).unwrap()
}

fn request(token: &Token, inv: &Invocation) -> Request {
    Request {
        token: TokenInput::Binary(token.encode()),
        invocation: InvocationInput::Text(inv.to_text()),
        request_digest: None,
    }
}

#[test]
fn encodings_round_trip_and_lengths_are_exact() {
    let limits = Limits::default();
    for depth in 0..4 {
        let (token, holder) = chain(depth);
        let bytes = token.encode();
        assert_eq!(token.encoded_len(), bytes.len());
        assert_eq!(Token::decode(&bytes, &limits).unwrap(), token);
        assert_eq!(Token::from_text(&token.to_text(), &limits).unwrap(), token);
        let inv = invoke(&token, &holder, 10, 1);
        assert_eq!(inv.encoded_len(), inv.encode().len());
        assert_eq!(Invocation::decode(&inv.encode(), &limits).unwrap(), inv);
    }
}

#[test]
fn valid_chains_verify_and_replays_are_refused() {
    let v = verifier(true);
    for depth in 0..4 {
        let (token, holder) = chain(depth);
        let inv = invoke(&token, &holder, 999, depth);
        assert!(v.verify(request(&token, &inv), NOW).ok(), "depth {depth}");
        let again = v.verify(request(&token, &inv), NOW);
        assert_eq!(again.reason(), Some(Reason::Replayed));
        assert_eq!(again.hop(), Some(usize::from(depth) + 1));
    }
}

#[test]
fn constraint_and_truncation_are_refused() {
    let v = verifier(false);
    let (token, holder) = chain(2);
    let over = {
        let mut i = invoke(&token, &holder, 10, 7).body().clone();
        i.args
            .insert("amount".into(), Value::Number(Number::from_int(1001)));
        Invocation::sign(i, &holder, &Limits::default()).unwrap()
    };
    assert_eq!(
        v.verify(request(&token, &over), NOW).reason(),
        Some(Reason::ConstraintViolated)
    );

    // The first two blocks of the chain, with the leaf holder's invocation.
    let prefix = Token::from_blocks(token.blocks()[..2].to_vec()).unwrap();
    let inv = invoke(&token, &holder, 10, 8);
    assert_eq!(
        v.verify(request(&prefix, &inv), NOW).reason(),
        Some(Reason::PopInvalid)
    );
}

#[test]
fn batch_equals_single_in_order_with_malformed_inputs() {
    let single = verifier(false);
    let batch = verifier(false);
    let (token, holder) = chain(1);
    let good = invoke(&token, &holder, 5, 1);
    let stranger = invoke_checked(&token, &key(9), 5, 2, false);
    let mut requests = Vec::new();
    for i in 0..40u8 {
        let r = match i % 4 {
            0 => request(&token, &good),
            1 => request(&token, &stranger),
            2 => Request {
                token: TokenInput::Binary(vec![0x82, 0x01]),
                invocation: InvocationInput::Decoded(Arc::new(good.clone())),
                request_digest: None,
            },
            _ => Request {
                token: TokenInput::Decoded(Arc::new(token.clone())),
                invocation: InvocationInput::Text("cpi1.AAAA".into()),
                request_digest: Some([i; 32]),
            },
        };
        requests.push(r);
    }
    let expected: Vec<_> = requests
        .iter()
        .map(|r| {
            let v = single.verify(r.clone(), NOW);
            (v.reason(), v.hop())
        })
        .collect();
    let got: Vec<_> = batch
        .verify_batch(requests, NOW)
        .iter()
        .map(|v| (v.reason(), v.hop()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got[0], (None, None));
    assert_eq!(got[1].0, Some(Reason::PopInvalid));
    assert_eq!(got[2].0, Some(Reason::Malformed));
    assert_eq!(got[3].0, Some(Reason::Malformed));
}

#[test]
fn widening_delegation_is_refused_when_minting_and_verifying() {
    let limits = Limits::default();
    let (token, holder) = chain(0);
    let wide = spec(&key(5), vec![cap("bank/**", &["pay"], 1000)], 1, 9);
    match mint::delegate(&token, &holder, wide.clone(), &limits, true, false) {
        Err(Error::Refused(r)) => assert_eq!(r.reason, Reason::CapabilityWidened),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let forced = mint::delegate(&token, &holder, wide, &limits, false, false).unwrap();
    let inv = invoke_checked(&forced, &key(5), 5, 3, false);
    let verdict = verifier(false).verify(request(&forced, &inv), NOW);
    assert_eq!(
        (verdict.reason(), verdict.hop()),
        (Some(Reason::CapabilityWidened), Some(1))
    );
}

#[test]
fn decoded_tokens_are_held_to_the_verifiers_limits() {
    let (token, holder) = chain(3);
    let inv = invoke(&token, &holder, 5, 4);
    let roots: HashSet<[u8; 32]> = [key(0).public_key()].into_iter().collect();
    let mut policy = Policy::new(roots, "bank");
    policy.limits.max_blocks = 3;
    let v = Verifier::new(policy, None, Some(1)).unwrap();
    let r = Request {
        token: TokenInput::Decoded(Arc::new(token)),
        invocation: InvocationInput::Decoded(Arc::new(inv)),
        request_digest: None,
    };
    assert_eq!(v.verify(r, NOW).reason(), Some(Reason::LimitExceeded));
}

/// splitmix64: a tiny deterministic generator, so failures reproduce.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Mix, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(3) {
        let at = rng.below(out.len());
        match rng.below(5) {
            0 => out[at] ^= 1 << rng.below(8),
            1 => out[at] = rng.next() as u8,
            2 => out.truncate(at),
            3 => out.insert(at, rng.next() as u8),
            _ if !out.is_empty() => {
                out.remove(at);
            }
            _ => {}
        }
        if out.is_empty() {
            break;
        }
    }
    out
}

#[test]
fn mutated_inputs_never_panic_and_never_verify() {
    let v = verifier(false);
    let (token, holder) = chain(2);
    let inv = invoke(&token, &holder, 10, 5);
    let (token_bytes, inv_bytes) = (token.encode(), inv.encode());
    let mut rng = Mix(0x5eed);
    let mut requests = Vec::new();
    for round in 0..6000 {
        let (t, i) = if round % 2 == 0 {
            (mutate(&mut rng, &token_bytes), inv_bytes.clone())
        } else {
            (token_bytes.clone(), mutate(&mut rng, &inv_bytes))
        };
        let _ = Token::decode(&t, &Limits::default());
        let _ = Invocation::decode(&i, &Limits::default());
        let unchanged = t == token_bytes && i == inv_bytes;
        requests.push((
            unchanged,
            Request {
                token: TokenInput::Binary(t),
                invocation: InvocationInput::Binary(i),
                request_digest: None,
            },
        ));
    }
    let (unchanged, requests): (Vec<bool>, Vec<Request>) = requests.into_iter().unzip();
    let verdicts = v.verify_batch(requests, NOW);
    assert_eq!(verdicts.len(), unchanged.len());
    for (verdict, same) in verdicts.iter().zip(unchanged) {
        assert_eq!(verdict.ok(), same, "{verdict:?}");
    }
}

//! Fuzzing every input a visitor controls: the link's query, every lab's parameter
//! validation, and every file a lab imports (CSV, PNG, canvas RGBA). Each property runs
//! `FUZZ_CASES` random cases (default 256, so that the normal `cargo test` keeps a sample);
//! the fuzz command of the README runs a million each:
//!
//! ```sh
//! FUZZ_CASES=1000000 cargo test -p hopfield-playground --test fuzz -- --nocapture
//! ```
//!
//! (the test profile: optimised, with overflow checks and debug assertions on, so an
//! arithmetic overflow is a panic too). What every property asks: nothing panics; what is
//! accepted is valid (a parsed link re-serialises and reads back without a notice, every
//! limit holds and every cost is finite; an imported file yields a value of the right shape
//! or a link that reads back cleanly); what is refused gets a message. The models are not
//! run here (`limits.rs` runs the cheap parts at every extreme).
//!
//! New labs are covered as soon as they are in `labs::LABS`; a new importer as soon as its
//! lab's `Runner::import` is set.

use hopfield_playground::api::{self, from_query};
use hopfield_playground::data::image::{MAX_DECODE_PIXELS, RgbImage};
use hopfield_playground::labs::{self, LABS, LabDef, hhd, softkmeans};
use hopfield_playground::params::{Kind, Notice, ParamSpec, Params, Value, bits};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Cases per property: `FUZZ_CASES`, or 256.
fn cases() -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|s| s.trim().replace('_', "").parse().ok()).unwrap_or(256)
}

/// Run `test` on `cases()` values of `strategy`; print the count and the time (seen with
/// `--nocapture`), and fail with the smallest failing value proptest finds.
fn fuzz<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let n = cases();
    // No regression files: the failures found so far are kept as plain tests below.
    let mut runner = TestRunner::new(Config { cases: n, failure_persistence: None, ..Config::default() });
    let calls = AtomicU64::new(0);
    let start = Instant::now();
    let result = runner.run(&strategy, |v| {
        calls.fetch_add(1, Ordering::Relaxed);
        test(v)
    });
    eprintln!(
        "fuzz {name}: {n} cases ({} calls) in {:.1} s: {}",
        calls.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64(),
        if result.is_ok() { "passed" } else { "FAILED" }
    );
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

fn built() -> Vec<&'static LabDef> {
    LABS.iter().filter(|l| l.runner.is_some()).collect()
}

fn with_import() -> Vec<&'static LabDef> {
    LABS.iter().filter(|l| l.runner.as_ref().is_some_and(|r| r.import.is_some())).collect()
}

// ---------------------------------------------------------------------------------------
// Hostile text.

/// Numbers and near-numbers in every spelling a parser may trip over.
fn hostile_number() -> BoxedStrategy<String> {
    const ODD: &[&str] = &[
        "NaN",
        "nan",
        "-NaN",
        "inf",
        "-inf",
        "+inf",
        "infinity",
        "-Infinity",
        "1e309",
        "-1e309",
        "1e-400",
        "4.9e-324",
        "-0",
        "+0",
        "-0.0",
        "0.0",
        "000000000000000000000001",
        "1_000",
        "0x10",
        "1e",
        "e5",
        ".",
        "-",
        "+",
        ".5",
        "5.",
        "1,5",
        "1.5.5",
        "١٢",
        "①",
        "𝟙",
        "  7  ",
        "\u{a0}7",
        "7\u{0}",
        "1e18",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "4294967295",
        "4294967296",
        "1e308",
        "1.7976931348623157e308",
        "2.5e-308",
        "",
    ];
    prop_oneof![
        any::<f64>().prop_map(|x| format!("{x}")),
        any::<f64>().prop_map(|x| format!("{x:e}")),
        any::<i64>().prop_map(|x| x.to_string()),
        any::<u64>().prop_map(|x| x.to_string()),
        any::<i128>().prop_map(|x| x.to_string()),
        (-1000i64..1000).prop_map(|x| x.to_string()),
        select(ODD).prop_map(String::from),
    ]
    .boxed()
}

/// Random upper/lower case.
fn mangle_case(s: &str, flips: &[bool]) -> String {
    s.chars()
        .zip(flips.iter().cycle())
        .map(|(c, &f)| if f { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
        .collect()
}

/// Text in the shape of `spec`'s values: at and beyond its ends, in range, wrongly typed,
/// too many, duplicated, unicode. `names`: the lab's figure names and keys (for `Names`),
/// `ns`: pattern sizes worth writing bit tokens for (for `Tokens`).
fn spec_text(spec: &'static ParamSpec, names: Vec<&'static str>, ns: Vec<usize>) -> BoxedStrategy<String> {
    let own: BoxedStrategy<String> = match spec.kind {
        Kind::Int { min, max } => prop_oneof![
            select(vec![min, max]).prop_map(|x| x.to_string()),
            (min..=max).prop_map(|x| x.to_string()),
            (i128::from(min) - 3..=i128::from(max) + 3).prop_map(|x| x.to_string()),
            (min as f64..=max as f64).prop_map(|x| format!("{x}")),
            (min as f64..=max as f64).prop_map(|x| format!("{x:e}")),
        ]
        .boxed(),
        Kind::Float { min, max, .. } => prop_oneof![
            select(vec![min, max, min.next_down(), max.next_up(), -max, 10.0 * max, 0.1 * min])
                .prop_map(|x| format!("{x}")),
            (min..=max).prop_map(|x| format!("{x}")),
            (min..=max).prop_map(|x| format!("{x:e}")),
            (min..=max).prop_map(|x| format!("{x:.3}")),
        ]
        .boxed(),
        Kind::Choice { options } => {
            (select(options), proptest::collection::vec(any::<bool>(), 1..4), 0..3usize)
                .prop_map(|(o, flips, pad)| {
                    format!("{}{}{}", " ".repeat(pad), mangle_case(o, &flips), " ".repeat(pad))
                })
                .boxed()
        }
        Kind::Bool => {
            select(&["0", "1", "true", "FALSE", "yes", "No", "on", "off", "2", "-1", "", "tru"][..])
                .prop_map(String::from)
                .boxed()
        }
        Kind::IntList { min, max, max_len } => {
            let item = prop_oneof![
                4 => (i128::from(min) - 2..=i128::from(max) + 2).prop_map(|x| x.to_string()),
                1 => hostile_number(),
            ];
            let len = prop_oneof![4 => 0..max_len.min(16) + 1, 1 => max_len.saturating_sub(2)..max_len + 4];
            (len, select(&[",", ", ", ",,", ";", " "][..]))
                .prop_flat_map(move |(n, sep)| {
                    proptest::collection::vec(item.clone(), n).prop_map(move |v| v.join(sep))
                })
                .boxed()
        }
        Kind::FloatList { min, max, max_len } => {
            let item = prop_oneof![
                4 => (min..=max).prop_map(|x| format!("{x}")),
                2 => (min..=max).prop_map(|x| format!("{:.3}", x)),
                1 => hostile_number(),
            ];
            let len = prop_oneof![4 => 0..max_len.min(16) + 1, 1 => max_len.saturating_sub(2)..max_len + 4];
            len.prop_flat_map(move |n| proptest::collection::vec(item.clone(), n).prop_map(|v| v.join(",")))
                .boxed()
        }
        Kind::Tokens { max_count, max_chars } => {
            let bits_token = (select(ns), any::<u64>()).prop_map(|(n, seed)| {
                let bits: Vec<bool> =
                    (0..n).map(|i| (seed.rotate_left(i as u32 % 64) ^ i as u64) & 1 == 1).collect();
                bits::encode(&bits)
            });
            let token = prop_oneof![
                4 => bits_token,
                2 => "[A-Za-z0-9]",
                1 => "[^.]",
                1 => proptest::string::string_regex(&format!("_[A-Za-z0-9_-]{{0,{}}}", max_chars + 2))
                    .expect("a regex"),
                1 => "[^.]{0,12}",
            ]
            .boxed();
            (0..max_count + 4)
                .prop_flat_map(move |n| proptest::collection::vec(token.clone(), n).prop_map(|v| v.join(".")))
                .boxed()
        }
        Kind::Names { max_len } => {
            let name = prop_oneof![
                4 => select(names).prop_map(String::from),
                1 => "[a-z0-9_-]{0,40}",
                1 => ".{0,10}",
            ];
            (0..max_len.min(8) + 3)
                .prop_flat_map(move |n| proptest::collection::vec(name.clone(), n).prop_map(|v| v.join(",")))
                .boxed()
        }
    };
    prop_oneof![8 => own, 2 => hostile_number(), 1 => ".{0,40}"].boxed()
}

/// How a pair travels in the query: as written, properly percent-encoded, every byte
/// encoded, or with percent-encoding garbage spliced in.
fn encode(s: &str, how: u8, junk: &str, at: Index) -> String {
    match how % 5 {
        0 => s.to_string(),
        1 => form_urlencoded::byte_serialize(s.as_bytes()).collect(),
        2 => s.bytes().map(|b| format!("%{b:02X}")).collect(),
        _ => {
            let cut = (0..=s.len())
                .filter(|&i| s.is_char_boundary(i))
                .nth(at.index(s.chars().count() + 1))
                .unwrap_or(0);
            format!("{}{junk}{}", &s[..cut], &s[cut..])
        }
    }
}

fn percent_junk() -> BoxedStrategy<String> {
    prop_oneof![
        select(
            &[
                "%", "%%", "%G1", "%2", "%FF%FE", "%C3", "%E2%82", "%00", "+", "%2B", "%26", "%3D", "%25",
                "&", "=", "%ZZ", "%u00e9", "\u{0}"
            ][..]
        )
        .prop_map(String::from),
        "(%[0-9A-Fa-f]{2}){1,4}",
    ]
    .boxed()
}

/// A hostile query for `lab`: its keys (and `v`, `lab`, `preset`, unknown keys, keys in the
/// wrong case) with hostile values, duplicated, percent-encoded or garbled.
fn hostile_query(lab: &'static LabDef) -> BoxedStrategy<String> {
    let params = Params::defaults(lab.params);
    let specs: Vec<&'static ParamSpec> = params.specs().to_vec();
    let mut names: Vec<&'static str> = lab.figures().iter().map(|f| f.name).collect();
    names.extend(specs.iter().map(|s| s.key));
    let mut ns: Vec<usize> = vec![4, 9, 16, 25, 36, 64, 100, 256, 1024];
    ns.extend(specs.iter().filter(|s| s.key == "n").filter_map(|s| match s.default {
        Value::Int(n) => usize::try_from(n).ok(),
        _ => None,
    }));
    let presets: Vec<&'static str> = lab.presets().iter().map(|p| p.name).collect();
    let keyed: Vec<BoxedStrategy<(String, String)>> = specs
        .iter()
        .map(|&s| spec_text(s, names.clone(), ns.clone()).prop_map(move |v| (s.key.to_string(), v)).boxed())
        .collect();
    let key_index = 0..keyed.len();
    let pair = prop_oneof![
        12 => key_index.prop_flat_map(move |i| keyed[i].clone()),
        1 => hostile_number().prop_map(|v| ("v".to_string(), v)),
        1 => select(LABS.iter().map(|l| l.id).chain(["", "nope", "CLASSIC"]).collect::<Vec<_>>())
            .prop_map(|v| ("lab".to_string(), v.to_string())),
        1 => prop_oneof![
                select(if presets.is_empty() { vec!["none"] } else { presets.clone() }).prop_map(String::from),
                ".{0,12}",
            ].prop_map(|v| ("preset".to_string(), v)),
        1 => ("[a-zA-Z_ ]{0,8}", ".{0,12}"),
        1 => (select(specs.iter().map(|s| s.key).collect::<Vec<_>>()), hostile_number())
            .prop_map(|(k, v)| (format!(" {}", k.to_ascii_uppercase()), v)),
    ];
    let encoded = (pair, any::<u8>(), any::<u8>(), percent_junk(), any::<Index>(), any::<Index>()).prop_map(
        |((k, v), hk, hv, junk, ik, iv)| {
            // Mostly plain keys: a garbled key is just an unknown one.
            let k = if hk % 4 == 0 { encode(&k, hk / 4, &junk, ik) } else { k };
            format!("{k}={}", encode(&v, hv, &junk, iv))
        },
    );
    let id = lab.id;
    (
        proptest::collection::vec(encoded, 0..16),
        proptest::collection::vec(any::<bool>(), 1..6),
        select(&["", "?", "#", " ", "v=1&", "?v=1&"][..]),
        select(&["&", "&", "&", "&&", "&;"][..]),
        0..3usize,
        any::<Index>(),
    )
        .prop_map(move |(mut pairs, flips, lead, sep, dups, at)| {
            // The lab first (usually), somewhere in the middle, or twice.
            let lab = format!("lab={}", mangle_case(id, &flips));
            let i = if at.index(4) == 0 { at.index(pairs.len() + 1) } else { 0 };
            pairs.insert(i, lab);
            for d in 0..dups {
                if let Some(p) = pairs.get((d * 7 + i) % pairs.len()).cloned() {
                    pairs.push(p);
                }
            }
            format!("{lead}{}", pairs.join(sep))
        })
        .boxed()
}

/// What a parsed state must satisfy: it re-serialises to a link that reads back to the same
/// state without a notice; no part would be refused; every part's estimated work is finite.
fn check_state(query: &str, state: &api::State, notices: &[Notice]) -> Result<(), TestCaseError> {
    let canonical = state.to_query();
    prop_assert!(canonical.starts_with(&format!("v=1&lab={}", state.lab.id)), "{}", canonical);
    let back = from_query(&canonical);
    prop_assert!(
        back.notices.is_empty(),
        "{query:?} → {canonical}: {:?} (first notices {notices:?})",
        back.notices
    );
    prop_assert!(back.state().as_ref() == Some(state), "{query:?} → {canonical} reads back differently");
    if let Some(runner) = &state.lab.runner {
        for l in (runner.limits)(&state.params) {
            prop_assert!(l.ok(), "{query:?}: {} is {} > {} after clamping", l.what, l.size, l.limit);
        }
        for part in runner.parts {
            let cost = (runner.cost)(&state.params, part.name);
            prop_assert!(cost.is_finite() && cost >= 0.0, "{query:?}: cost of {} is {cost}", part.name);
        }
    }
    Ok(())
}

/// Any text at all, alone and after each lab's `lab=`: never a panic; a state when a lab is
/// named, and that state is canonical.
#[test]
fn fuzz_query_parser_on_arbitrary_text() {
    let ids: Vec<&'static str> = LABS.iter().map(|l| l.id).collect();
    let text = prop_oneof![
        4 => ".{0,300}",
        2 => "[a-z=&%0-9A-F.,_+-]{0,200}",
        1 => proptest::collection::vec(any::<u8>(), 0..200)
            .prop_map(|b| b.iter().map(|&x| format!("%{x:02x}")).collect::<String>()),
    ];
    fuzz("query parser, arbitrary text", (select(ids), any::<bool>(), text), |(id, prefixed, q)| {
        let query = if prefixed { format!("lab={id}&{q}") } else { q };
        let parsed = from_query(&query);
        match parsed.state() {
            Some(s) => check_state(&query, &s, &parsed.notices)?,
            None => prop_assert!(parsed.lab.is_none() && parsed.params.is_none()),
        }
        Ok(())
    });
}

/// Structured but hostile links of every lab.
#[test]
fn fuzz_query_parser_on_hostile_links_of_every_lab() {
    let strategy = select(LABS.iter().collect::<Vec<_>>()).prop_flat_map(hostile_query);
    fuzz("query parser, hostile links of every lab", strategy, |query| {
        let parsed = from_query(&query);
        match parsed.state() {
            Some(s) => check_state(&query, &s, &parsed.notices)?,
            // A later `lab=` may name no lab: the landing page.
            None => prop_assert!(parsed.lab.is_none() && parsed.params.is_none(), "{query:?}"),
        }
        Ok(())
    });
}

/// A query of 65,536 characters and more is cut, with a notice, and still reads.
#[test]
fn over_long_queries_are_cut_and_still_read() {
    for lab in LABS {
        let q = format!("lab={}&{}", lab.id, "seed=7&é=%FF&".repeat(6000));
        let parsed = from_query(&q);
        assert!(parsed.notices.iter().any(|n| n.message.contains("longer than")), "{}", lab.id);
        let s = parsed.state().expect("the lab is read before the cut");
        check_state(&q.chars().take(40).collect::<String>(), &s, &parsed.notices).expect("canonical");
    }
}

// ---------------------------------------------------------------------------------------
// Parameter validation, without the parser.

/// Any value, of any type, for a key: `Params::set` keeps it if valid, clamps it, or falls
/// back to the default.
fn any_value(spec: &'static ParamSpec) -> BoxedStrategy<Value> {
    const WORDS: &[&str] = &["auto", "cpu", "gpu", "random", "painted", "file", "csv", "drawn", "zzz", ""];
    let own: BoxedStrategy<Value> = match spec.kind {
        Kind::Int { min, max } => prop_oneof![select(vec![min, max]), min..=max].prop_map(Value::Int).boxed(),
        Kind::Float { min, max, .. } => {
            prop_oneof![select(vec![min, max]), min..=max].prop_map(Value::Float).boxed()
        }
        Kind::Choice { options } => select(options).prop_map(Value::Choice).boxed(),
        Kind::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Kind::IntList { min, max, max_len } => {
            proptest::collection::vec(min..=max, 0..max_len.min(24) + 1).prop_map(Value::IntList).boxed()
        }
        Kind::FloatList { min, max, max_len } => {
            proptest::collection::vec(min..=max, 0..max_len.min(24) + 1).prop_map(Value::FloatList).boxed()
        }
        Kind::Names { .. } => {
            proptest::collection::vec("[a-z0-9_-]{0,12}", 0..6).prop_map(Value::Names).boxed()
        }
        Kind::Tokens { max_chars, .. } => proptest::collection::vec(
            proptest::string::string_regex(&format!("_?[A-Za-z0-9_-]{{0,{max_chars}}}")).expect("regex"),
            0..6,
        )
        .prop_map(Value::Tokens)
        .boxed(),
    };
    prop_oneof![
        6 => own,
        1 => any::<i64>().prop_map(Value::Int),
        1 => any::<f64>().prop_map(Value::Float),
        1 => select(WORDS).prop_map(Value::Choice),
        1 => proptest::collection::vec(any::<i64>(), 0..8).prop_map(Value::IntList),
        1 => proptest::collection::vec(any::<f64>(), 0..8).prop_map(Value::FloatList),
        1 => proptest::collection::vec(".{0,8}", 0..4).prop_map(Value::Tokens),
        1 => proptest::collection::vec(".{0,8}", 0..4).prop_map(Value::Names),
    ]
    .boxed()
}

/// Arbitrary parameters of a built lab (each key set through `Params::set`, not the query).
fn lab_params() -> impl Strategy<Value = (&'static LabDef, Vec<(&'static str, Value)>)> {
    select(built()).prop_flat_map(|lab| {
        let specs = Params::defaults(lab.params).specs().to_vec();
        let values: Vec<BoxedStrategy<(&'static str, Value)>> =
            specs.iter().map(|&s| any_value(s).prop_map(move |v| (s.key, v)).boxed()).collect();
        // Some keys keep their defaults: a mask of which are set.
        (Just(lab), values, proptest::collection::vec(any::<bool>(), specs.len())).prop_map(
            |(lab, v, mask)| {
                (lab, v.into_iter().zip(mask).filter(|(_, m)| *m).map(|(kv, _)| kv).collect::<Vec<_>>())
            },
        )
    })
}

/// Every lab's `check`, `limits` and `cost` on arbitrary parameters: no panic before or
/// after `check` (whose `fit_limits` calls `limits` on unchecked values); after it every
/// limit holds, every cost is finite, and a second `check` changes nothing.
#[test]
fn fuzz_parameter_validation_of_every_lab() {
    fuzz("parameter validation (check, limits, cost) of every lab", lab_params(), |(lab, values)| {
        let runner = lab.runner.as_ref().expect("built");
        let mut p = Params::defaults(lab.params);
        for (k, v) in values {
            p.set(k, v);
        }
        let _ = (runner.limits)(&p);
        for part in runner.parts {
            let cost = (runner.cost)(&p, part.name);
            prop_assert!(!cost.is_nan(), "{}: cost of {} is NaN before check", lab.id, part.name);
        }
        let mut notices = Vec::new();
        (runner.check)(&mut p, &mut notices);
        for l in (runner.limits)(&p) {
            prop_assert!(
                l.ok(),
                "{}: {} is {} > {} after check ({notices:?})",
                lab.id,
                l.what,
                l.size,
                l.limit
            );
        }
        for part in runner.parts {
            let cost = (runner.cost)(&p, part.name);
            prop_assert!(cost.is_finite() && cost >= 0.0, "{}: cost of {} is {cost}", lab.id, part.name);
        }
        let before = p.clone();
        let mut again = Vec::new();
        (runner.check)(&mut p, &mut again);
        prop_assert!(again.is_empty(), "{}: a second check changes {again:?} (first: {notices:?})", lab.id);
        prop_assert!(p == before, "{}: a second check changes the values", lab.id);
        // The link of these values reads back to a canonical state; only the embed lists
        // (`panels`, `controls`), which the parser checks against the lab's names, may change.
        let link = api::State { lab, params: p }.to_query();
        let parsed = from_query(&link);
        prop_assert!(
            parsed.notices.iter().all(|n| n.key == "panels" || n.key == "controls"),
            "{link}: {:?}",
            parsed.notices
        );
        let s = parsed.state().expect("the lab");
        check_state(&link, &s, &parsed.notices)
    });
}

// ---------------------------------------------------------------------------------------
// Files: byte-level mutations, PNG and CSV builders.

/// A byte-level mutation of a file.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    Set(Index, u8),
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Remove(Index, usize),
    /// The same range twice (a duplicated chunk or row).
    Repeat(Index, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), 0..8u8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        3 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), proptest::collection::vec(any::<u8>(), 1..16)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (any::<Index>(), 1..64usize).prop_map(|(i, n)| Mutation::Remove(i, n)),
        1 => (any::<Index>(), 1..64usize).prop_map(|(i, n)| Mutation::Repeat(i, n)),
    ]
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    match m {
        Mutation::Flip(i, b) if len > 0 => bytes[i.index(len)] ^= 1 << b,
        Mutation::Set(i, v) if len > 0 => bytes[i.index(len)] = *v,
        Mutation::Truncate(i) => bytes.truncate(i.index(len + 1)),
        Mutation::Insert(i, v) => {
            let at = i.index(len + 1);
            bytes.splice(at..at, v.iter().copied());
        }
        Mutation::Remove(i, n) if len > 0 => {
            let at = i.index(len);
            bytes.drain(at..(at + n).min(len));
        }
        Mutation::Repeat(i, n) if len > 0 => {
            let at = i.index(len);
            let piece: Vec<u8> = bytes[at..(at + n).min(len)].to_vec();
            bytes.splice(at..at, piece);
        }
        _ => {}
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// Rewrite every complete chunk's CRC, so that a mutation reaches the decoder's later stages.
fn fix_png_crcs(bytes: &mut [u8]) {
    let mut pos = 8;
    while pos + 12 <= bytes.len() {
        let n = u32::from_be_bytes([bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]]) as usize;
        let end = pos + 8 + n;
        if end + 4 > bytes.len() {
            break;
        }
        let crc = crc32(&bytes[pos + 4..end]);
        bytes[end..end + 4].copy_from_slice(&crc.to_be_bytes());
        pos = end + 4;
    }
}

/// A valid PNG: any colour type and bit depth, a palette (maybe shorter than the indices),
/// transparency, or an animation whose second frame is smaller.
#[derive(Debug, Clone)]
struct PngSpec {
    w: u32,
    h: u32,
    /// Colour type and bit depth (an index into `PNG_FORMATS`).
    format: usize,
    pixels: Vec<u8>,
    palette: usize,
    trns: bool,
    animated: bool,
}

const PNG_FORMATS: &[(png::ColorType, png::BitDepth)] = &[
    (png::ColorType::Grayscale, png::BitDepth::One),
    (png::ColorType::Grayscale, png::BitDepth::Two),
    (png::ColorType::Grayscale, png::BitDepth::Four),
    (png::ColorType::Grayscale, png::BitDepth::Eight),
    (png::ColorType::Grayscale, png::BitDepth::Sixteen),
    (png::ColorType::Rgb, png::BitDepth::Eight),
    (png::ColorType::Rgb, png::BitDepth::Sixteen),
    (png::ColorType::Indexed, png::BitDepth::One),
    (png::ColorType::Indexed, png::BitDepth::Two),
    (png::ColorType::Indexed, png::BitDepth::Four),
    (png::ColorType::Indexed, png::BitDepth::Eight),
    (png::ColorType::GrayscaleAlpha, png::BitDepth::Eight),
    (png::ColorType::GrayscaleAlpha, png::BitDepth::Sixteen),
    (png::ColorType::Rgba, png::BitDepth::Eight),
    (png::ColorType::Rgba, png::BitDepth::Sixteen),
];

fn png_spec() -> impl Strategy<Value = PngSpec> {
    (
        1..24u32,
        1..24u32,
        0..PNG_FORMATS.len(),
        proptest::collection::vec(any::<u8>(), 1..48),
        1..=256usize,
        any::<bool>(),
        prop_oneof![7 => Just(false), 1 => Just(true)],
    )
        .prop_map(|(w, h, format, pixels, palette, trns, animated)| PngSpec {
            w,
            h,
            format,
            pixels,
            palette,
            trns,
            animated,
        })
}

impl PngSpec {
    fn bytes(&self) -> Vec<u8> {
        let (color, depth) = PNG_FORMATS[self.format];
        let channels = match color {
            png::ColorType::Grayscale | png::ColorType::Indexed => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
        };
        let data = |w: u32, h: u32| -> Vec<u8> {
            let stride = (w as usize * channels * depth as usize).div_ceil(8);
            self.pixels.iter().copied().cycle().take(stride * h as usize).collect()
        };
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.w, self.h);
        enc.set_color(color);
        enc.set_depth(depth);
        if color == png::ColorType::Indexed {
            enc.set_palette(self.pixels.iter().copied().cycle().take(3 * self.palette).collect::<Vec<u8>>());
        }
        if self.trns {
            match color {
                png::ColorType::Indexed => enc.set_trns(vec![0u8, 128, 255][..self.palette.min(3)].to_vec()),
                png::ColorType::Grayscale => enc.set_trns(vec![0u8, 1]),
                png::ColorType::Rgb => enc.set_trns(vec![0u8, 1, 0, 2, 0, 3]),
                _ => {}
            }
        }
        if self.animated {
            enc.set_animated(2, 0).expect("animation");
        }
        let mut wr = enc.write_header().expect("a valid header");
        wr.write_image_data(&data(self.w, self.h)).expect("first frame");
        if self.animated {
            let (w2, h2) = (self.w.div_ceil(2), self.h.div_ceil(2));
            wr.set_frame_dimension(w2, h2).expect("smaller frame");
            wr.write_image_data(&data(w2, h2)).expect("second frame");
        }
        wr.finish().expect("finished");
        out
    }
}

/// A PNG file, valid or mutated; `valid` when no mutation was applied.
#[derive(Debug, Clone)]
struct PngCase {
    spec: PngSpec,
    /// New width, height, colour type, depth or interlace method written into the header.
    header: Option<(usize, u32)>,
    mutations: Vec<Mutation>,
    fix_crc: bool,
}

fn png_case() -> impl Strategy<Value = PngCase> {
    let header = prop_oneof![
        4 => Just(None),
        1 => (0..5usize, prop_oneof![0..64u32, any::<u32>(), select(vec![0, 1, 4096, 4097, 1 << 16, 1 << 24, u32::MAX])])
            .prop_map(Some),
    ];
    (
        png_spec(),
        header,
        prop_oneof![2 => Just(Vec::new()), 5 => proptest::collection::vec(mutation(), 1..4)],
        prop_oneof![1 => Just(false), 3 => Just(true)],
    )
        .prop_map(|(spec, header, mutations, fix_crc)| PngCase { spec, header, mutations, fix_crc })
}

impl PngCase {
    fn valid(&self) -> bool {
        self.header.is_none() && self.mutations.is_empty()
    }

    fn bytes(&self) -> Vec<u8> {
        let mut b = self.spec.bytes();
        if let Some((field, v)) = self.header {
            // IHDR data starts at byte 16: width, height (4 bytes each), depth, colour type,
            // compression, filter, interlace.
            match field {
                0 => b[16..20].copy_from_slice(&v.to_be_bytes()),
                1 => b[20..24].copy_from_slice(&v.to_be_bytes()),
                2 => b[24] = v as u8,
                3 => b[25] = v as u8,
                _ => b[28] = v as u8 % 3,
            }
        }
        for m in &self.mutations {
            mutate(&mut b, m);
        }
        if self.fix_crc {
            fix_png_crcs(&mut b);
        }
        b
    }
}

/// What a decoded image must be.
fn check_image(img: &RgbImage, max_pixels: usize) -> Result<(), TestCaseError> {
    prop_assert!(img.width >= 1 && img.height >= 1, "{}×{}", img.width, img.height);
    prop_assert!(img.width * img.height <= max_pixels, "{}×{} > {max_pixels}", img.width, img.height);
    prop_assert_eq!(img.rgb.len(), 3 * img.width * img.height);
    Ok(())
}

/// What an accepted import must do: set only the lab's keys, and the link with them added
/// must read as the page reads it, to a canonical state. Returns the notices of that link.
fn check_import(
    lab: &'static LabDef,
    state: &api::State,
    imported: &labs::Import,
) -> Result<Vec<Notice>, TestCaseError> {
    let mut q = state.to_query();
    for (k, v) in &imported.set {
        prop_assert!(state.params.spec(k).is_some(), "{}: the import sets an unknown key {k}", lab.id);
        q.push('&');
        q.push_str(&form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>());
        q.push('=');
        q.push_str(&form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>());
    }
    let parsed = from_query(&q);
    let s = parsed.state();
    prop_assert!(s.is_some(), "{q}: no state");
    if let Some(s) = s {
        check_state(&q, &s, &parsed.notices)?;
    }
    Ok(parsed.notices)
}

/// Feed `bytes` to every lab's importer (at a random state of that lab) and to the CLI's
/// `--data` path (`api::import_file`); return which labs accepted it.
fn import_everywhere(name: &str, bytes: &[u8], query: &str) -> Result<Vec<&'static str>, TestCaseError> {
    let mut accepted = Vec::new();
    for lab in with_import() {
        let import = lab.runner.as_ref().and_then(|r| r.import).expect("an importer");
        let q = format!("lab={}&{query}", lab.id);
        let state = from_query(&q).state().expect("the lab");
        match import(&state.params, name, bytes) {
            Ok(imported) => {
                let notices = check_import(lab, &state, &imported)?;
                // Values an importer writes are valid as written: nothing of it is clamped.
                let set: Vec<&str> = imported.set.iter().map(|(k, _)| k.as_str()).collect();
                let bad: Vec<&Notice> = notices.iter().filter(|n| set.contains(&n.key.as_str())).collect();
                prop_assert!(bad.is_empty(), "{}: {name}: the imported values are changed: {bad:?}", lab.id);
                accepted.push(lab.id);
            }
            Err(e) => prop_assert!(!e.trim().is_empty(), "{}: an empty message", lab.id),
        }
        match api::import_file(&q, name, bytes) {
            Ok((link, _keep)) => {
                let back = from_query(&link);
                prop_assert!(back.notices.is_empty(), "{link}: {:?}", back.notices);
            }
            Err(e) => prop_assert!(!e.trim().is_empty()),
        }
    }
    Ok(accepted)
}

/// A few settings of the lab a file is imported into (the classic lab's image importer
/// reads N and the data source).
fn import_query() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(String::new()),
        1 => (select(vec![4i64, 9, 16, 25, 64, 100, 101, 256, 1024]), select(vec!["random", "painted", "digits", "letters"]))
            .prop_map(|(n, d)| format!("n={n}&data={d}")),
        1 => "x[a-z]{0,5}=[0-9a-z._]{0,12}",
    ]
}

/// Mutated and valid PNGs into the image decoder, the soft k-means lab's reader and every
/// lab's importer: never a panic; a valid file is read, with its size; a decoded image has
/// the pixels its size says, within the limits; an accepted import gives a canonical link.
#[test]
fn fuzz_png_importers() {
    fuzz("PNG importers (valid and mutated files)", (png_case(), import_query()), |(case, query)| {
        let bytes = case.bytes();
        match RgbImage::from_png(&bytes) {
            Ok(img) => {
                check_image(&img, MAX_DECODE_PIXELS)?;
                if case.valid() {
                    prop_assert_eq!((img.width, img.height), (case.spec.w as usize, case.spec.h as usize));
                }
            }
            Err(e) => {
                prop_assert!(!case.valid(), "a valid PNG is refused: {e}");
                prop_assert!(!e.is_empty());
            }
        }
        match softkmeans::data::read_png(&bytes) {
            Ok((img, _)) => check_image(&img, softkmeans::data::MAX_IMAGE_PIXELS)?,
            Err(e) => prop_assert!(!case.valid(), "a valid PNG is refused: {e}"),
        }
        let accepted = import_everywhere("fuzz.png", &bytes, &query)?;
        if case.valid() {
            prop_assert!(accepted.contains(&"softkmeans"), "the soft k-means lab refuses a valid PNG");
        }
        Ok(())
    });
}

/// Arbitrary bytes (bare, or after a PNG signature, a byte-order mark or a CSV header) into
/// every importer.
#[test]
fn fuzz_importers_on_arbitrary_bytes() {
    let bytes = (
        select(vec![&b""[..], b"\x89PNG\r\n\x1a\n", b"\xef\xbb\xbf", b"x,y\n", b"label,a,b\n"]),
        proptest::collection::vec(any::<u8>(), 0..600),
    )
        .prop_map(|(head, tail)| [head, &tail[..]].concat());
    fuzz("importers on arbitrary bytes", (bytes, import_query()), |(bytes, query)| {
        if let Ok(img) = RgbImage::from_png(&bytes) {
            check_image(&img, MAX_DECODE_PIXELS)?;
        }
        if let Ok(text) = std::str::from_utf8(&bytes) {
            check_csv_readers(text, None)?;
        }
        import_everywhere("fuzz.bin", &bytes, &query)?;
        Ok(())
    });
}

/// Canvas RGBA (the page's path for JPEG, GIF, WebP…): any size, any length.
#[test]
fn fuzz_rgba_images() {
    let size = prop_oneof![4 => 0..48usize, 1 => any::<usize>(), 1 => select(vec![4096usize, 4097, 1 << 20, usize::MAX])];
    let case = (
        size.clone(),
        size,
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..64),
        prop_oneof![1..64usize, 1..20_000usize],
    );
    fuzz("RGBA images (canvas pixels) and their fitting", case, |(w, h, exact, seed, max)| {
        let n = match w.checked_mul(h).and_then(|p| p.checked_mul(4)) {
            Some(n) if exact && n <= 4 * 48 * 48 => n,
            _ => seed.len(),
        };
        let rgba: Vec<u8> = seed.iter().copied().cycle().take(n).collect();
        match RgbImage::from_rgba(w, h, &rgba) {
            Ok(img) => {
                check_image(&img, MAX_DECODE_PIXELS)?;
                let (small, note) = img.clone().fit(max);
                check_image(&small, max)?;
                prop_assert_eq!(note.is_some(), img.width * img.height > max);
            }
            Err(e) => prop_assert!(!e.is_empty()),
        }
        Ok(())
    });
}

/// A CSV file: header, rows of cells (numbers, near-numbers, garbage), separators, line
/// ends; regular or ragged; and byte-level mutations afterwards.
#[derive(Debug, Clone)]
struct CsvCase {
    header: Option<Vec<String>>,
    rows: Vec<Vec<String>>,
    sep: &'static str,
    eol: &'static str,
    bom: bool,
    /// Every cell a finite number, every row as long as the first, no header, no mutation.
    clean: bool,
    mutations: Vec<Mutation>,
}

fn number_cell() -> BoxedStrategy<String> {
    prop_oneof![
        4 => (-20.0f64..20.0).prop_map(|x| format!("{x}")),
        2 => (-20.0f64..20.0).prop_map(|x| format!("{x:.2}")),
        1 => (-20.0f64..20.0).prop_map(|x| format!("{x:e}")),
        3 => (-3i64..=3).prop_map(|x| x.to_string()),
        2 => select(&["1", "-1", "0", "+1", "1.0", "-0"][..]).prop_map(String::from),
    ]
    .boxed()
}

fn hostile_cell() -> BoxedStrategy<String> {
    prop_oneof![
        3 => hostile_number(),
        2 => select(&["", " ", "\"1\"", "\"", "abc", "#", "label", "class", "NaN", "inf", "-inf", "1e400", "1,5", "\"1,5\"", "١"][..])
            .prop_map(String::from),
        1 => ".{0,6}",
    ]
    .boxed()
}

fn csv_case() -> impl Strategy<Value = CsvCase> {
    let shape = prop_oneof![
        38 => (0..40usize, 1..12usize),
        1 => (1..=8usize, 1..=1100usize),
        1 => (1..=4200usize, 1..=3usize),
    ];
    (shape, 0..4u8).prop_flat_map(|((rows, cols), mode)| {
        let clean = mode == 0;
        let cell = if clean {
            number_cell()
        } else {
            prop_oneof![12 => number_cell(), 1 => hostile_cell()].boxed()
        };
        // Wide or tall files repeat a few generated rows (a million cases must stay quick).
        let distinct = rows.min(24);
        let row_len = if mode == 3 { (cols.saturating_sub(2)..cols + 3).boxed() } else { Just(cols).boxed() };
        let row = row_len.prop_flat_map(move |n| proptest::collection::vec(cell.clone(), n));
        let header = if clean {
            Just(None).boxed()
        } else {
            prop_oneof![
                2 => Just(None),
                1 => proptest::collection::vec(
                    prop_oneof![select(&["x", "y", "label", "Class", "a b", "\"q\"", ""][..]).prop_map(String::from), "[a-z]{1,5}"],
                    cols
                ).prop_map(Some),
            ]
            .boxed()
        };
        (
            header,
            proptest::collection::vec(row, distinct),
            select(if clean { &[",", ";", "\t", ", "][..] } else { &[",", ";", "\t", " ", ", ", ",,"][..] }),
            select(&["\n", "\r\n", "\n\n", "\r"][..]),
            any::<bool>(),
            if clean { Just(Vec::new()).boxed() } else { proptest::collection::vec(mutation(), 0..3).boxed() },
        )
            .prop_map(move |(header, distinct_rows, sep, eol, bom, mutations)| {
                let rows: Vec<Vec<String>> =
                    (0..rows).map(|i| distinct_rows[i % distinct_rows.len().max(1)].clone()).collect();
                CsvCase { header, rows, sep, eol, bom, clean: clean && eol != "\r", mutations }
            })
    })
}

impl CsvCase {
    fn text(&self) -> String {
        let mut s = String::from(if self.bom { "\u{feff}" } else { "" });
        let lines = self.header.iter().chain(&self.rows);
        for l in lines {
            s.push_str(&l.join(self.sep));
            s.push_str(self.eol);
        }
        s
    }

    fn bytes(&self) -> Vec<u8> {
        let mut b = self.text().into_bytes();
        for m in &self.mutations {
            mutate(&mut b, m);
        }
        b
    }

    fn cols(&self) -> usize {
        self.rows.first().map_or(0, Vec::len)
    }
}

/// The CSV readers of the labs on `text`: an accepted file gives data of the shape and range
/// promised; a clean file of an acceptable shape is accepted (`clean`: its rows and columns).
fn check_csv_readers(text: &str, clean: Option<(usize, usize)>) -> Result<(), TestCaseError> {
    match hhd::data::from_csv(text) {
        Ok(d) => {
            let (s, f) = (d.samples(), d.features());
            prop_assert!((2..=hhd::MAX_SAMPLES as usize).contains(&s), "{s} samples");
            prop_assert!((2..=hhd::MAX_FEATURES).contains(&f), "{f} features");
            prop_assert_eq!(d.x.data.len(), s * f);
            prop_assert!(d.x.data.iter().all(|v| v.is_finite()));
            prop_assert_eq!(d.source.len(), s);
            if let Some(l) = &d.labels {
                prop_assert_eq!(l.len(), s);
            }
            if let Some((r, c)) = clean {
                prop_assert_eq!((s, f), (r, c));
            }
        }
        Err(e) => {
            prop_assert!(!e.is_empty());
            if let Some((r, c)) = clean {
                let fits =
                    (2..=hhd::MAX_SAMPLES as usize).contains(&r) && (2..=hhd::MAX_FEATURES).contains(&c);
                prop_assert!(!fits, "a clean {r}×{c} CSV is refused: {e}");
            }
        }
    }
    match softkmeans::data::points_from_csv(text) {
        Ok(m) => {
            prop_assert!(m.rows >= 1 && m.rows <= softkmeans::data::MAX_CSV_POINTS, "{} points", m.rows);
            prop_assert!(m.cols >= 1 && m.cols <= softkmeans::data::MAX_CSV_DIM, "{} coordinates", m.cols);
            prop_assert_eq!(m.data.len(), m.rows * m.cols);
            prop_assert!(m.data.iter().all(|v| v.is_finite()));
            if let Some((r, c)) = clean {
                prop_assert_eq!((m.rows, m.cols), (r, c));
            }
        }
        Err(e) => {
            prop_assert!(!e.is_empty());
            if let Some((r, c)) = clean {
                let fits = r >= 1 && (1..=softkmeans::data::MAX_CSV_DIM).contains(&c);
                prop_assert!(!fits, "a clean {r}×{c} CSV of points is refused: {e}");
            }
        }
    }
    Ok(())
}

/// CSVs of every shape (regular, ragged, wide, tall; NaN, infinities, garbage cells,
/// headers, byte-order marks, CRLF; then byte-level mutations) into every CSV reader and
/// every lab's importer.
#[test]
fn fuzz_csv_importers() {
    fuzz("CSV importers (structured and mutated files)", (csv_case(), import_query()), |(case, query)| {
        let bytes = case.bytes();
        let clean = case.clean && !case.rows.is_empty();
        if let Ok(text) = std::str::from_utf8(&bytes) {
            check_csv_readers(text, clean.then(|| (case.rows.len(), case.cols())))?;
        }
        let accepted = import_everywhere("fuzz.csv", &bytes, &query)?;
        if clean {
            let (r, c) = (case.rows.len(), case.cols());
            // The classic lab takes 4 to 1024 values per pattern, at most 32 patterns.
            let classic = (4..=1024).contains(&c) && r <= 32;
            prop_assert_eq!(accepted.contains(&"classic"), classic, "classic, {}×{}", r, c);
        }
        Ok(())
    });
}

/// Painted patterns in a link: any token decodes to `n` bits or to nothing, and painting any
/// cells of any token keeps it decodable.
#[test]
fn fuzz_painted_pattern_tokens() {
    let case = (
        prop_oneof![2 => "_[A-Za-z0-9_-]{0,200}", 1 => ".{0,4}", 1 => "[A-Z0-9]"],
        0..1100usize,
        0..80usize,
        proptest::collection::vec(prop_oneof![0..1100usize, any::<usize>()], 0..12),
        0..3usize,
    );
    fuzz("painted pattern tokens (decode, paint)", case, |(token, n, cols, cells, which)| {
        if let Some(b) = bits::decode(&token, n, cols) {
            prop_assert_eq!(b.len(), n);
            prop_assert_eq!(bits::decode(&bits::encode(&b), n, cols), Some(b));
        }
        let text = format!("A.{token}.B");
        if let Some(out) = bits::paint(&text, which, n, cols, &cells) {
            let tokens: Vec<&str> = out.split('.').filter(|t| !t.is_empty()).collect();
            let painted = tokens.get(which).copied().unwrap_or_default();
            prop_assert_eq!(bits::decode(painted, n, cols).map(|b| b.len()), Some(n));
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------
// Sizes a random case rarely reaches: each reader's refusal at its limits.

#[test]
fn csv_readers_refuse_files_past_their_limits_with_a_message() {
    let tall: String = (0..=hhd::MAX_SAMPLES).map(|i| format!("{i},1\n")).collect();
    assert!(hhd::data::from_csv(&tall).is_err_and(|e| e.contains("at most")));
    let wide = (0..=hhd::MAX_FEATURES).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    assert!(hhd::data::from_csv(&format!("{wide}\n{wide}\n")).is_err_and(|e| e.contains("at most")));
    let many: String = (0..=softkmeans::data::MAX_CSV_POINTS).map(|i| format!("{i},1\n")).collect();
    assert!(softkmeans::data::points_from_csv(&many).is_err_and(|e| e.contains("more than")));
    let deep = vec!["1"; softkmeans::data::MAX_CSV_DIM + 1].join(",");
    assert!(softkmeans::data::points_from_csv(&deep).is_err_and(|e| e.contains("at most")));
    let q = "lab=classic";
    let pats: String = (0..33).map(|_| "1,-1,1,-1\n").collect();
    assert!(api::import_file(q, "p.csv", pats.as_bytes()).is_err_and(|e| e.contains("at most")));
    let long = vec!["1"; 1025].join(",");
    assert!(api::import_file(q, "p.csv", long.as_bytes()).is_err_and(|e| e.contains("4 to 1024")));
    // A PNG whose header claims more pixels than the decoder reads is refused before decoding.
    let mut big =
        PngSpec { w: 2, h: 2, format: 3, pixels: vec![7], palette: 1, trns: false, animated: false }.bytes();
    big[16..20].copy_from_slice(&5000u32.to_be_bytes());
    big[20..24].copy_from_slice(&5000u32.to_be_bytes());
    fix_png_crcs(&mut big);
    assert!(RgbImage::from_png(&big).is_err_and(|e| e.contains("more than")));
}

// ---------------------------------------------------------------------------------------
// Failures the properties found, kept as plain tests.

/// `pts=2.2e-308` became NaN: rounding to 4 significant digits scaled by 10^311 = ∞.
#[test]
fn tiny_drawn_points_round_to_finite_numbers() {
    for lab in ["softkmeans", "elcd"] {
        let key = if lab == "elcd" { "draw" } else { "pts" };
        let q = format!("lab={lab}&{key}=2.2156596835317834e-308,4.9e-324,-1e-310,1");
        let parsed = from_query(&q);
        let s = parsed.state().expect("the lab");
        assert!(s.params.floats(key).iter().all(|x| x.is_finite()), "{lab}: {:?}", s.params.floats(key));
        check_state(&q, &s, &parsed.notices).expect("canonical");
    }
}

/// A CSV saved with a byte-order mark lost its first point (soft k-means: read as a header)
/// or was refused (classic: "not a number").
#[test]
fn csv_files_with_a_byte_order_mark_keep_their_first_row() {
    let pts = "\u{feff}1,2\r\n3,4\r\n";
    let m = softkmeans::data::points_from_csv(pts).expect("parses");
    assert_eq!((m.rows, m.cols, m.data[0]), (2, 2, 1.0));
    let (link, _) = api::import_file("lab=softkmeans", "p.csv", pts.as_bytes()).expect("imports");
    assert!(link.contains("pts=1,2,3,4"), "{link}");
    let pats = "\u{feff}1,-1,1,-1\n-1,1,-1,1\n";
    let (link, _) = api::import_file("lab=classic", "p.csv", pats.as_bytes()).expect("imports");
    assert!(link.contains("n=4") && link.contains("data=painted"), "{link}");
    assert_eq!(hhd::data::from_csv(pats).expect("parses").samples(), 2);
}

/// A very thin image was not averaged down to the pixels asked for (1×20000 → 1×18101 for the
/// soft k-means lab's 128×128).
#[test]
fn a_thin_png_is_averaged_down_within_the_limit() {
    let png = PngSpec {
        w: 1,
        h: 20_000,
        format: 3,
        pixels: vec![3, 200],
        palette: 1,
        trns: false,
        animated: false,
    };
    let (img, note) = softkmeans::data::read_png(&png.bytes()).expect("reads");
    assert!(img.width * img.height <= softkmeans::data::MAX_IMAGE_PIXELS, "{}×{}", img.width, img.height);
    assert!(note.is_some());
}

/// A sweep cell of the kernel lab set P beyond the network view's limit (P·N ≤ 2²¹): the
/// link read without complaint and its network part was refused when run.
#[test]
fn a_sweep_cell_never_sets_a_refused_network() {
    let q = "lab=klr&n=592&sw_lmin=40&cell=0";
    let parsed = from_query(q);
    let s = parsed.state().expect("klr");
    assert!(parsed.notices.iter().any(|n| n.key == "cell"), "{:?}", parsed.notices);
    check_state(q, &s, &parsed.notices).expect("every limit holds");
}

/// The same cell's P beyond the range of `p` (4120 > 4096 at N = 103) was clamped: the cell
/// was shown with another network, and a second `check` dropped it.
#[test]
fn a_sweep_cell_beyond_the_range_of_p_is_not_inspected() {
    let lab = labs::find("klr").expect("klr");
    let runner = lab.runner.as_ref().expect("built");
    let mut p = Params::defaults(lab.params);
    for (k, v) in [("n", 103), ("sw_lmax", 40), ("cell", 269)] {
        p.set(k, Value::Int(v));
    }
    let mut notices = Vec::new();
    (runner.check)(&mut p, &mut notices);
    assert!(notices.iter().any(|n| n.key == "cell"), "{notices:?}");
    let before = p.clone();
    let mut again = Vec::new();
    (runner.check)(&mut p, &mut again);
    assert!(again.is_empty() && p == before, "{again:?}");
}

/// A palette of 4 bytes (not whole RGB colours) made the png crate panic while expanding it.
#[test]
fn a_png_with_a_broken_palette_is_refused() {
    let mut png =
        PngSpec { w: 3, h: 2, format: 10, pixels: vec![0, 1, 2], palette: 2, trns: false, animated: false }
            .bytes();
    // PLTE follows IHDR (8 + 25 bytes): its length 6 becomes 4, its last 2 bytes dropped.
    assert_eq!(&png[37..41], b"PLTE");
    png[33..37].copy_from_slice(&4u32.to_be_bytes());
    png.drain(45..47);
    fix_png_crcs(&mut png);
    assert!(RgbImage::from_png(&png).is_err_and(|e| e.contains("palette")));
    assert!(api::import_file("lab=softkmeans", "p.png", &png).is_err());
    assert!(api::import_file("lab=classic", "p.png", &png).is_err());
}

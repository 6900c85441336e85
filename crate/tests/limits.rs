//! Every numeric parameter of every built lab at its minimum and at its maximum, one at a
//! time, from the default link and from the link with every optional part switched on
//! (each of the lab's own flags set): read through `api::from_query`, the page's path, no
//! part would be refused (every [`Limit`] of the lab holds after the clamping), the
//! clamped link is stable (reading it again changes nothing), every part's estimated work
//! is finite, and every part that reads the changed key and whose estimated work is small
//! runs on the CPU through `api::run_query` without error. The estimate is the lab's own
//! `cost`, the function its parts size their work with; the parts not run are bounded by
//! the limits (work limits included) that the first assertion checks.
//!
//! New labs are covered as soon as they are in `labs::LABS`.
//!
//! [`Limit`]: hopfield_playground::labs::Limit

use hopfield_playground::api::{from_query, run_query_cpu};
use hopfield_playground::labs::{LABS, LabDef, NoProgress};
use hopfield_playground::params::{Kind, Params};
use proptest::prelude::*;
use std::time::Instant;

/// Parts estimated below this many operations run (a second or two in the test profile).
const SMALL: f64 = 1e10;

/// What one lab's sweep of extremes did.
#[derive(Default)]
struct Tally {
    links: usize,
    clamped: usize,
    ran: usize,
    skipped: Vec<String>,
    seconds: f64,
}

/// A link to try: the key it changes from its base (none for a base itself), and the
/// flags its base switched on (a part that reads none of them ran from the default link).
struct Link {
    query: String,
    changed: Option<&'static str>,
    flags: Vec<&'static str>,
}

fn links(lab: &LabDef) -> Vec<Link> {
    let defaults = Params::defaults(lab.params);
    let plain = format!("v=1&lab={}", lab.id);
    let flags: Vec<&'static str> =
        lab.params.iter().filter(|s| matches!(s.kind, Kind::Bool)).map(|s| s.key).collect();
    let mut bases = vec![(plain.clone(), Vec::new())];
    if !flags.is_empty() {
        let on: Vec<String> = flags.iter().map(|k| format!("{k}=1")).collect();
        bases.push((format!("{plain}&{}", on.join("&")), flags));
    }
    let mut out = Vec::new();
    for (base, flags) in &bases {
        out.push(Link { query: base.clone(), changed: None, flags: flags.clone() });
        for spec in defaults.specs() {
            let ends = match spec.kind {
                Kind::Int { min, max } => [min.to_string(), max.to_string()],
                Kind::Float { min, max, .. } => [format!("{min}"), format!("{max}")],
                _ => continue,
            };
            for v in ends {
                let query = format!("{base}&{}={v}", spec.key);
                out.push(Link { query, changed: Some(spec.key), flags: flags.clone() });
            }
        }
    }
    out
}

fn check_lab(lab: &'static LabDef) -> Tally {
    let Some(runner) = &lab.runner else { return Tally::default() };
    let mut tally = Tally::default();
    let start = Instant::now();
    let mut seen = std::collections::HashSet::new();
    for Link { query, changed, flags } in links(lab) {
        tally.links += 1;
        let parsed = from_query(&query);
        let state = parsed.state().unwrap_or_else(|| panic!("{query}: no state"));
        if !parsed.notices.is_empty() {
            tally.clamped += 1;
        }
        let p = &state.params;
        for l in (runner.limits)(p) {
            assert!(
                l.ok(),
                "{query}: {} is {} after clamping, beyond {} ({}); notices: {:?}",
                l.what,
                l.size,
                l.limit,
                l.why,
                parsed.notices
            );
        }
        let canonical = state.to_query();
        let again = from_query(&canonical);
        assert!(
            again.notices.is_empty(),
            "{query}: the clamped link {canonical} changes again: {:?}",
            again.notices
        );
        if !seen.insert(canonical.clone()) {
            continue;
        }
        let mut run = Vec::new();
        for part in runner.parts {
            let cost = (runner.cost)(p, part.name);
            assert!(cost.is_finite() && cost >= 0.0, "{query}: cost of {} is {cost}", part.name);
            let reads = changed.is_none_or(|k| k == "seed" || part.keys.contains(&k))
                && (flags.is_empty() || flags.iter().any(|f| part.keys.contains(f)));
            if !reads {
                continue;
            }
            if cost <= SMALL {
                run.push(part.name);
            } else {
                tally.skipped.push(format!("{} at {query} ({cost:.1e})", part.name));
            }
        }
        if run.is_empty() {
            continue;
        }
        let costs: Vec<String> = run.iter().map(|&n| format!("{:.1e}", (runner.cost)(p, n))).collect();
        let t = Instant::now();
        let report = run_query_cpu(&canonical, &run, &mut NoProgress)
            .unwrap_or_else(|e| panic!("{query}: parts {run:?} failed: {e} (notices: {:?})", parsed.notices));
        assert!(report.to_json().starts_with('{'), "{query}");
        tally.ran += run.len();
        let secs = t.elapsed().as_secs_f64();
        if secs > 2.0 {
            eprintln!("{}: {query} {run:?} (estimated {costs:?}) took {secs:.1} s", lab.id);
        }
    }
    tally.seconds = start.elapsed().as_secs_f64();
    tally
}

#[test]
fn every_numeric_parameter_at_its_extremes_runs_or_is_clamped_up_front() {
    let built: Vec<&'static LabDef> = LABS.iter().filter(|l| l.runner.is_some()).collect();
    assert!(built.len() >= 3, "classic, klr and dense are built");
    let tallies: Vec<(&str, Tally)> = std::thread::scope(|s| {
        let handles: Vec<_> = built.iter().map(|&lab| (lab.id, s.spawn(move || check_lab(lab)))).collect();
        handles
            .into_iter()
            .map(|(id, h)| (id, h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))))
            .collect()
    });
    for (id, t) in &tallies {
        eprintln!(
            "{id}: {} links ({} clamped), {} parts run, {} not run (estimated work above {SMALL:.0e}) in {:.1} s",
            t.links,
            t.clamped,
            t.ran,
            t.skipped.len(),
            t.seconds
        );
        for s in &t.skipped {
            eprintln!("  not run: {s}");
        }
        assert!(t.ran > 0, "{id}: nothing ran");
    }
}

/// A random link of `lab`: every numeric key at its minimum, its maximum, its default or
/// anywhere between, every flag at random (several keys at their extremes at once).
fn arb_link(lab: &'static LabDef) -> BoxedStrategy<String> {
    let parts: Vec<BoxedStrategy<String>> = Params::defaults(lab.params)
        .specs()
        .iter()
        .filter_map(|spec| {
            let key = spec.key;
            match spec.kind {
                Kind::Int { min, max } => Some(
                    prop_oneof![Just(min), Just(max), min..=max]
                        .prop_map(move |v| format!("{key}={v}"))
                        .boxed(),
                ),
                Kind::Float { min, max, .. } => Some(
                    prop_oneof![Just(min), Just(max), min..=max]
                        .prop_map(move |v| format!("{key}={v}"))
                        .boxed(),
                ),
                Kind::Bool => Some(any::<bool>().prop_map(move |b| format!("{key}={}", u8::from(b))).boxed()),
                _ => None,
            }
        })
        .collect();
    let id = lab.id;
    parts.prop_map(move |kv| format!("v=1&lab={id}&{}", kv.join("&"))).boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever combination of extremes a link asks for, reading it leaves no part that
    /// would be refused, and the clamped link reads back unchanged.
    #[test]
    fn random_links_satisfy_every_limit_after_clamping(
        query in proptest::sample::select(LABS.iter().filter(|l| l.runner.is_some()).collect::<Vec<_>>())
            .prop_flat_map(arb_link)
    ) {
        let parsed = from_query(&query);
        let state = parsed.state().expect("a built lab");
        let runner = state.lab.runner.as_ref().expect("built");
        for l in (runner.limits)(&state.params) {
            prop_assert!(l.ok(), "{}: {} is {}, beyond {}; notices {:?}", query, l.what, l.size, l.limit, parsed.notices);
        }
        for part in runner.parts {
            let cost = (runner.cost)(&state.params, part.name);
            prop_assert!(cost.is_finite() && cost >= 0.0, "{}: cost of {} is {}", query, part.name, cost);
        }
        let again = from_query(&state.to_query());
        prop_assert!(again.notices.is_empty(), "{}: {:?}", query, again.notices);
    }
}

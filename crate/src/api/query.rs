//! Reading and writing a link's query (`v=1&lab=…&key=value…`): the lab it names, its
//! preset (`preset=NAME` expands to the preset's keys; keys written after it win), and the
//! lab's parameters, validated by the lab's table and its consistency rules.

use crate::labs::{self, LabDef};
use crate::params::{Notice, Params, SCHEMA_VERSION, split_query};

/// The result of reading a query: the lab it names (if any), its parameters and
/// what had to be changed to make them valid.
#[derive(Debug, Clone)]
pub struct ParsedQuery {
    /// The lab, or `None` for the landing page (no `lab=`, or an unknown one).
    pub lab: Option<&'static LabDef>,
    /// The lab's parameters (`None` without a lab).
    pub params: Option<Params>,
    /// Everything that was ignored, clamped or replaced.
    pub notices: Vec<Notice>,
}

/// A lab with valid parameters: what a share link means.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub lab: &'static LabDef,
    pub params: Params,
}

impl State {
    /// The defaults of `lab`.
    pub fn defaults(lab: &'static LabDef) -> Self {
        Self { lab, params: Params::defaults(lab.params) }
    }

    /// The canonical query — the share link: schema version, lab, then the parameters that
    /// differ from the lab's defaults, in table order (defaults are frozen per schema
    /// version, see [`DEFAULT_CHANGES`], so a short link keeps its numbers).
    pub fn to_query(&self) -> String {
        let mut q = format!("v={SCHEMA_VERSION}&lab={}", self.lab.id);
        for ((k, v), spec) in self.params.pairs().zip(self.params.specs()) {
            if v == crate::params::format_value(&spec.default) || self.params.is_derived(k) {
                continue;
            }
            q.push('&');
            q.push_str(k);
            q.push('=');
            q.push_str(&v);
        }
        q
    }
}

impl PartialEq for LabDef {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl ParsedQuery {
    /// The state, when the query named a known lab.
    pub fn state(&self) -> Option<State> {
        Some(State { lab: self.lab?, params: self.params.clone()? })
    }
}

/// A default that changed: links of schema versions up to `until` (which omit the key when
/// it had its default then) keep the old value. Each change of a default bumps
/// [`SCHEMA_VERSION`] and adds an entry here, so every old link keeps its numbers.
#[derive(Debug, Clone, Copy)]
pub struct DefaultChange {
    pub lab: &'static str,
    pub key: &'static str,
    /// The last schema version whose default this was.
    pub until: u32,
    /// The old default, as written in a link.
    pub value: &'static str,
}

/// Every change of a default since schema version 1 (none yet).
pub const DEFAULT_CHANGES: &[DefaultChange] = &[];

/// Parse a query string (with or without a leading `?` or `#`). Never fails and never panics.
pub fn from_query(query: &str) -> ParsedQuery {
    from_query_with(query, DEFAULT_CHANGES)
}

/// [`from_query`] with an explicit list of default changes (tests).
pub fn from_query_with(query: &str, changes: &[DefaultChange]) -> ParsedQuery {
    let (mut pairs, mut notices) = split_query(query);
    let mut version = SCHEMA_VERSION;
    if let Some((_, v)) = pairs.iter().rev().find(|(k, _)| k == "v") {
        match v.trim().parse::<u32>() {
            Ok(n) if (1..=SCHEMA_VERSION).contains(&n) => version = n,
            _ => notices.push(Notice::new(
                "v",
                format!("schema version v={} is not known; read as v={SCHEMA_VERSION}", truncate(v, 20)),
            )),
        }
    }
    let lab = match pairs.iter().rev().find(|(k, _)| k == "lab") {
        None => None,
        Some((_, name)) => {
            let found = labs::find(name.trim());
            if found.is_none() {
                notices.push(Notice::new("lab", format!("there is no lab called {:?}", truncate(name, 40))));
            }
            found
        }
    };
    let Some(lab) = lab else {
        return ParsedQuery { lab: None, params: None, notices };
    };
    // A preset's keys come first, so that keys written in the link after it win.
    if let Some(i) = pairs.iter().rposition(|(k, _)| k == "preset") {
        let name = pairs[i].1.trim().to_string();
        match lab.preset(&name) {
            Some(preset) => {
                let (expanded, _) = split_query(preset.query);
                let later: Vec<(String, String)> = pairs.drain(i..).skip(1).collect();
                pairs.extend(expanded);
                pairs.extend(later);
            }
            None => {
                let names: Vec<&str> = lab.presets().iter().map(|p| p.name).collect();
                notices.push(Notice::new(
                    "preset",
                    if names.is_empty() {
                        format!("this lab has no presets; preset={:?} ignored", truncate(&name, 40))
                    } else {
                        format!(
                            "there is no preset {:?} (this lab has: {})",
                            truncate(&name, 40),
                            names.join(", ")
                        )
                    },
                ));
                pairs.remove(i);
            }
        }
    }

    let mut params = Params::defaults(lab.params);
    // An old link's keys that it left at their defaults of that version.
    for c in changes.iter().filter(|c| c.lab == lab.id && version <= c.until) {
        if !pairs.iter().any(|(k, _)| k == c.key) {
            params.set_raw(c.key, c.value);
        }
    }
    for (i, (key, raw)) in pairs.iter().enumerate() {
        if key == "v" || key == "lab" || key == "preset" {
            continue;
        }
        // Later occurrences of a key win, like URLSearchParams.set; only parse the last one.
        if pairs[i + 1..].iter().any(|(k, _)| k == key) {
            continue;
        }
        if params.spec(key).is_none() {
            notices.push(Notice::new(key, format!("unknown key {:?} ignored", truncate(key, 40))));
            continue;
        }
        if let Some(n) = params.set_raw(key, raw) {
            notices.push(n);
        }
    }
    if let Some(runner) = &lab.runner {
        (runner.check)(&mut params, &mut notices);
    }
    check_embed(lab, &mut params, &mut notices);
    ParsedQuery { lab: Some(lab), params: Some(params), notices }
}

/// The embed keys name figures and parameters of this lab: drop the others, with a notice.
fn check_embed(lab: &LabDef, params: &mut Params, notices: &mut Vec<Notice>) {
    let figures: Vec<&str> = lab.figures().iter().map(|f| f.name).collect();
    let keys: Vec<&'static str> =
        params.specs().iter().filter(|s| s.group != "hidden").map(|s| s.key).collect();
    for (key, known) in [("panels", figures), ("controls", keys)] {
        let names = params.names(key).to_vec();
        let (kept, dropped): (Vec<String>, Vec<String>) =
            names.into_iter().partition(|n| known.contains(&n.as_str()));
        if !dropped.is_empty() {
            notices.push(Notice::new(key, format!("{key}: this lab has no {}; dropped", dropped.join(", "))));
            params.set(key, crate::params::Value::Names(kept));
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n).chain("…".chars()).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Value;
    use proptest::prelude::*;

    #[test]
    fn missing_lab_is_the_landing_page() {
        let p = from_query("");
        assert!(p.lab.is_none() && p.notices.is_empty());
        let p = from_query("?lab=nope&n=3");
        assert!(p.lab.is_none());
        assert_eq!(p.notices.len(), 1);
    }

    #[test]
    fn garbage_values_fall_back_with_notices() {
        let p = from_query("v=1&lab=classic&n=abc&p=NaN&flip=-7&mode=sideways&zzz=1&seed=1e99");
        let s = p.state().expect("classic exists");
        assert_eq!(s.params.int("n"), 100);
        assert_eq!(s.params.float("flip"), 0.0);
        assert_eq!(s.params.choice("mode"), "async");
        let keys: Vec<&str> = p.notices.iter().map(|n| n.key.as_str()).collect();
        for k in ["n", "p", "flip", "mode", "zzz", "seed"] {
            assert!(keys.contains(&k), "no notice for {k}: {keys:?}");
        }
    }

    #[test]
    fn to_query_writes_only_what_differs_from_the_defaults() {
        let s = State::defaults(labs::find("classic").expect("classic"));
        assert_eq!(s.to_query(), "v=1&lab=classic");
        let p = from_query("lab=classic&n=64&embed=0&seed=42&flip=0.2").state().expect("classic");
        assert_eq!(p.to_query(), "v=1&lab=classic&n=64&flip=0.2");
        let back = from_query(&p.to_query());
        assert!(back.notices.is_empty(), "{:?}", back.notices);
        assert_eq!(back.state(), Some(p));
    }

    #[test]
    fn long_links_of_every_key_still_load() {
        // What links looked like before they were shortened: every key written out.
        let s = from_query("lab=klr&p=150").state().expect("klr");
        let long: String = s.params.pairs().map(|(k, v)| format!("&{k}={v}")).collect();
        let back = from_query(&format!("v=1&lab=klr{long}"));
        assert!(back.notices.is_empty(), "{:?}", back.notices);
        assert_eq!(back.state(), Some(s));
    }

    #[test]
    fn old_versions_keep_the_defaults_they_had() {
        // Suppose v=1 had n=64 and v=2 made it 100: a v=1 link without n keeps 64.
        let changes = [DefaultChange { lab: "classic", key: "n", until: 1, value: "64" }];
        let old = from_query_with("v=1&lab=classic&p=3", &changes).state().expect("classic");
        assert_eq!(old.params.int("n"), 64);
        let explicit = from_query_with("v=1&lab=classic&n=100", &changes).state().expect("classic");
        assert_eq!(explicit.params.int("n"), 100);
        assert!(from_query_with("v=7&lab=classic", &changes).notices.iter().any(|n| n.key == "v"));
    }

    #[test]
    fn last_duplicate_key_wins() {
        let s = from_query("lab=classic&n=20&n=30").state().expect("state");
        assert_eq!(s.params.int("n"), 30);
    }

    #[test]
    fn percent_encoded_values_are_decoded() {
        let s = from_query("lab=classic&flips=1%2C2%2C3").state().expect("state");
        assert_eq!(s.params.get("flips"), &Value::IntList(vec![1, 2, 3]));
    }

    /// A random valid value for a spec.
    fn arb_value(spec: &'static crate::params::ParamSpec) -> BoxedStrategy<Value> {
        use crate::params::Kind;
        match spec.kind {
            Kind::Int { min, max } => (min..=max).prop_map(Value::Int).boxed(),
            Kind::Float { min, max, .. } => (min..=max).prop_map(Value::Float).boxed(),
            Kind::Choice { options } => {
                proptest::sample::select(options.to_vec()).prop_map(Value::Choice).boxed()
            }
            Kind::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
            Kind::IntList { min, max, max_len } => {
                proptest::collection::btree_set(min..=max, 0..max_len.min(12))
                    .prop_map(|s| Value::IntList(s.into_iter().collect()))
                    .boxed()
            }
            Kind::Names { .. } => Just(Value::Names(Vec::new())).boxed(),
            Kind::Tokens { .. } => Just(Value::Tokens(Vec::new())).boxed(),
            Kind::FloatList { min, max, max_len } => proptest::collection::vec(min..=max, 0..max_len.min(12))
                .prop_map(|v| {
                    Value::FloatList(
                        v.into_iter().map(|x| crate::plot::scene::round_sig(x, 4) + 0.0).collect(),
                    )
                })
                .boxed(),
        }
    }

    fn arb_state() -> impl Strategy<Value = State> {
        let labs: Vec<&'static LabDef> = labs::LABS.iter().collect();
        proptest::sample::select(labs).prop_flat_map(|lab| {
            let d = State::defaults(lab);
            let strategies: Vec<BoxedStrategy<Value>> =
                d.params.specs().iter().map(|s| arb_value(s)).collect();
            strategies.prop_map(move |values| {
                let mut s = State::defaults(lab);
                for (spec, v) in d.params.specs().iter().zip(values) {
                    s.params.set(spec.key, v);
                }
                // A state is what a lab accepts: apply its own consistency rules.
                if let Some(r) = &lab.runner {
                    (r.check)(&mut s.params, &mut Vec::new());
                }
                s
            })
        })
    }

    proptest! {
        #[test]
        fn query_round_trips(s in arb_state()) {
            let parsed = from_query(&s.to_query());
            prop_assert!(parsed.notices.is_empty(), "{:?}", parsed.notices);
            prop_assert_eq!(parsed.state(), Some(s));
        }

        #[test]
        fn arbitrary_strings_never_panic(q in ".{0,300}") {
            let _ = from_query(&q);
            let _ = from_query(&format!("lab=classic&{q}"));
        }

        #[test]
        fn arbitrary_values_never_panic(key in proptest::sample::select(vec!["n","p","flip","flips","mode","seed","steps","target","data"]), raw in ".{0,60}") {
            let parsed = from_query(&format!("lab=classic&{key}={raw}"));
            let s = parsed.state().expect("classic");
            // Whatever came in, the result is valid: re-parsing the canonical query changes nothing.
            prop_assert!(from_query(&s.to_query()).notices.is_empty());
        }
    }
}

//! Short constructors for the rows of a parameter table (`const`, so tables stay `static`):
//! `use crate::params::spec::{choice, float, int};`.

use super::{Kind, ParamSpec, Value};

/// A number in `min..=max` (`log`: the control's slider is logarithmic).
#[allow(clippy::too_many_arguments)]
pub const fn float(
    key: &'static str,
    label: &'static str,
    help: &'static str,
    group: &'static str,
    min: f64,
    max: f64,
    log: bool,
    default: f64,
) -> ParamSpec {
    ParamSpec { key, label, help, group, kind: Kind::Float { min, max, log }, default: Value::Float(default) }
}

/// An integer in `min..=max`.
pub const fn int(
    key: &'static str,
    label: &'static str,
    help: &'static str,
    group: &'static str,
    min: i64,
    max: i64,
    default: i64,
) -> ParamSpec {
    ParamSpec { key, label, help, group, kind: Kind::Int { min, max }, default: Value::Int(default) }
}

/// One of `options`.
pub const fn choice(
    key: &'static str,
    label: &'static str,
    help: &'static str,
    group: &'static str,
    options: &'static [&'static str],
    default: &'static str,
) -> ParamSpec {
    ParamSpec { key, label, help, group, kind: Kind::Choice { options }, default: Value::Choice(default) }
}

//! Every part of every built lab reads only the parameter keys it declares (the page reruns a
//! part when one of its declared keys changes, so a key read but not declared would leave a
//! stale result on screen). Runs each part alone with the lab's defaults on the CPU. `shard` and
//! `shards` are set by the page per run (never from the link), like `seed` and `backend`.

use hopfield_playground::api::State;
use hopfield_playground::compute::Compute;
use hopfield_playground::labs::{self, NoProgress};

#[test]
fn parts_read_only_the_keys_they_declare() {
    let compute = Compute::cpu("test");
    for lab in labs::LABS {
        let Some(runner) = &lab.runner else { continue };
        for part in runner.parts {
            let mut params = State::defaults(lab).params;
            params.track_reads();
            let out = pollster::block_on(labs::run(lab, &params, &[part.name], &mut NoProgress, &compute));
            assert!(out.is_ok(), "{}/{} failed with its defaults: {:?}", lab.id, part.name, out.err());
            let undeclared: Vec<&str> = params
                .keys_read()
                .into_iter()
                .filter(|k| {
                    !["seed", "backend", "embed", "shard", "shards"].contains(k) && !part.keys.contains(k)
                })
                .collect();
            assert!(
                undeclared.is_empty(),
                "{}/{} reads {undeclared:?} but does not declare them",
                lab.id,
                part.name
            );
        }
    }
}

//! Hierarchical Hopfield Decomposition: Algorithm 1 of the source, with the bounds a page
//! needs (tree size, removal rounds) and an explicit stack instead of recursion.
//!
//! A node holds samples (columns of A). It computes the spike count r of its scaled
//! covariance; it is a leaf when `r ≤ 1`, at depth `D_max`, or with fewer than `C_min`
//! samples. When `r ≥ r_prev` (the spike count did not drop since its parent) it removes the
//! samples whose entropy `H_i = −Σ_j p_ij log p_ij`, `p_ij = softmax_j(a_iᵀ v_j)` over the
//! spiked eigenvectors `v_j`, is within δ of the largest, and tries again at the same depth
//! (with removal off such a node is a leaf). Otherwise it settles every sample under
//! `W = AAᵀ/N − I` and recurses on each distinct final state with at least `C_min` samples,
//! passing its r as the children's `r_prev`. Nodes are numbered in depth-first order.

use super::data::Prepared;
use super::dynamics::{Mode, settle};
use super::params::MAX_REMOVALS;
use super::spectrum::spectrum;
use crate::compute::Compute;
use crate::rng::Rng;
use serde::Serialize;

/// Settings of one decomposition.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub c_min: usize,
    pub d_max: usize,
    pub delta: f64,
    pub removal: bool,
    pub mode: Mode,
    pub steps: usize,
    /// Most nodes; a node whose children would pass it becomes a leaf.
    pub max_nodes: usize,
}

/// One node of the tree.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub id: usize,
    pub parent: Option<usize>,
    pub depth: usize,
    /// Samples the node holds after its entropy removals (`members.len()`).
    pub size: usize,
    /// Spikes (eigenvalues of Q above γ+) of the samples it holds.
    pub spike_count: usize,
    /// `γ+` for its samples.
    pub edge_upper: f64,
    /// Its largest eigenvalue of Q.
    pub top_eigenvalue: f64,
    pub leaf: bool,
    /// Why it is a leaf, or `split`.
    pub reason: &'static str,
    /// Entropy-removal rounds done here, and the samples they removed (data indices).
    pub rounds: usize,
    pub removed: Vec<usize>,
    /// Distinct final states of its split (0 for a leaf).
    pub states: usize,
    /// Samples of its split that fell into states smaller than C_min (not decomposed further).
    pub dropped: usize,
    /// Its samples' states that reached a fixed point, 2-cycled or hit the cap (split only).
    pub fixed: usize,
    pub cycles: usize,
    pub capped: usize,
    pub children: Vec<usize>,
    /// Data indices of its samples, ascending.
    pub members: Vec<usize>,
    /// Leading eigenvector of its Q over the kept features (empty for an empty node).
    #[serde(skip)]
    pub prototype: Vec<f64>,
}

/// A decomposition.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    pub nodes: Vec<Node>,
    /// Some node became a leaf because of the node limit.
    pub truncated: bool,
}

/// The Table 2 metrics of a tree (leaves holding at least one sample).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Metrics {
    pub leaves: usize,
    pub mean_depth: f64,
    pub mean_spikes: f64,
    pub multi_spike_leaves: usize,
    pub mean_leaf_size: f64,
    pub nodes: usize,
    pub removed: usize,
}

impl Tree {
    /// Leaves holding samples, in depth-first order.
    pub fn leaves(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.leaf && n.size > 0)
    }

    pub fn metrics(&self) -> Metrics {
        let leaves: Vec<&Node> = self.leaves().collect();
        let k = leaves.len().max(1) as f64;
        Metrics {
            leaves: leaves.len(),
            mean_depth: leaves.iter().map(|n| n.depth as f64).sum::<f64>() / k,
            mean_spikes: leaves.iter().map(|n| n.spike_count as f64).sum::<f64>() / k,
            multi_spike_leaves: leaves.iter().filter(|n| n.spike_count > 1).count(),
            mean_leaf_size: leaves.iter().map(|n| n.size as f64).sum::<f64>() / k,
            nodes: self.nodes.len(),
            removed: self.nodes.iter().map(|n| n.removed.len()).sum(),
        }
    }
}

/// Entropy of `softmax(a_iᵀ v_j)` over the vectors `v` for each row `a_i` of `a`.
pub fn entropies(a: &crate::compute::Mat<f64>, v: &[Vec<f64>]) -> Vec<f64> {
    (0..a.rows)
        .map(|r| {
            let z: Vec<f64> = v.iter().map(|vj| a.row(r).iter().zip(vj).map(|(x, y)| x * y).sum()).collect();
            let mx = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = z.iter().map(|x| (x - mx).exp()).collect();
            let s: f64 = e.iter().sum();
            e.iter().map(|x| x / s).filter(|&p| p > 0.0).map(|p| -p * p.ln()).sum()
        })
        .collect()
}

struct Pending {
    members: Vec<usize>,
    depth: usize,
    r_prev: Option<usize>,
    parent: Option<usize>,
}

/// Decompose the samples `data.a` (all of them) by Algorithm 1. `progress(done, total)`
/// counts samples that reached a leaf or left the tree.
pub async fn decompose(
    compute: &Compute,
    data: &Prepared,
    cfg: &Config,
    rng: &mut Rng,
    progress: &mut dyn FnMut(usize, usize),
) -> Tree {
    let total = data.a.rows;
    let mut tree = Tree::default();
    let mut stack = vec![Pending { members: (0..total).collect(), depth: 0, r_prev: None, parent: None }];
    let mut done = 0usize;
    while let Some(job) = stack.pop() {
        let id = tree.nodes.len();
        if let Some(p) = job.parent {
            tree.nodes[p].children.push(id);
        }
        let mut node = Node {
            id,
            parent: job.parent,
            depth: job.depth,
            size: 0,
            spike_count: 0,
            edge_upper: f64::NAN,
            top_eigenvalue: f64::NAN,
            leaf: true,
            reason: "",
            rounds: 0,
            removed: Vec::new(),
            states: 0,
            dropped: 0,
            fixed: 0,
            cycles: 0,
            capped: 0,
            children: Vec::new(),
            members: job.members,
            prototype: Vec::new(),
        };
        let mut split = None;
        loop {
            let n = node.members.len();
            if n == 0 {
                // Entropy removal took every sample: nothing is left to describe.
                node.reason = "no samples left";
                node.spike_count = 0;
                node.prototype.clear();
                break;
            }
            let a = data.rows(&node.members);
            let may_remove = cfg.removal && node.depth < cfg.d_max && n >= cfg.c_min;
            let r_prev = job.r_prev;
            let want = |r: usize| if may_remove && r > 1 && r_prev.is_some_and(|p| r >= p) { r } else { 1 };
            let Some(sp) = spectrum(&a, want) else {
                node.reason = "eigen-solver did not converge";
                break;
            };
            node.spike_count = sp.spikes;
            node.edge_upper = sp.edge_upper;
            node.top_eigenvalue = sp.values.first().copied().unwrap_or(0.0);
            node.prototype = sp.vectors.first().cloned().unwrap_or_default();
            let r = sp.spikes;
            if r <= 1 {
                node.reason = "at most one spike";
                break;
            }
            if node.depth >= cfg.d_max {
                node.reason = "depth D_max";
                break;
            }
            if n < cfg.c_min {
                node.reason = "fewer than C_min samples";
                break;
            }
            if r_prev.is_some_and(|p| r >= p) {
                if !cfg.removal {
                    node.reason = "spike count did not drop";
                    break;
                }
                if node.rounds >= MAX_REMOVALS {
                    node.reason = "removal-round limit";
                    break;
                }
                let h = entropies(&a, &sp.vectors[..r.min(sp.vectors.len())]);
                let top = h.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let cut = top - cfg.delta;
                let (mut keep, mut gone) = (Vec::new(), Vec::new());
                for (k, &i) in node.members.iter().enumerate() {
                    if h[k] >= cut { gone.push(i) } else { keep.push(i) }
                }
                done += gone.len();
                node.removed.extend(gone);
                node.members = keep;
                node.rounds += 1;
                continue;
            }
            split = Some((a, r));
            break;
        }
        node.size = node.members.len();
        if let Some((a, r)) = split {
            let settled = settle(compute, &a, cfg.mode, cfg.steps, rng).await;
            let kids: Vec<Vec<usize>> = settled
                .groups
                .iter()
                .filter(|g| g.members.len() >= cfg.c_min)
                .map(|g| g.members.iter().map(|&k| node.members[k]).collect())
                .collect();
            if tree.nodes.len() + 1 + stack.len() + kids.len() > cfg.max_nodes {
                node.reason = "tree-size limit";
                tree.truncated = true;
            } else {
                node.leaf = false;
                node.reason = "split";
                node.states = settled.groups.len();
                node.fixed = settled.fixed;
                node.cycles = settled.cycles;
                node.capped = settled.capped;
                let kept: usize = kids.iter().map(Vec::len).sum();
                node.dropped = node.size - kept;
                done += node.dropped;
                // Largest state first in depth-first order.
                for members in kids.into_iter().rev() {
                    stack.push(Pending { members, depth: node.depth + 1, r_prev: Some(r), parent: Some(id) });
                }
            }
        }
        if node.leaf {
            done += node.size;
        }
        tree.nodes.push(node);
        progress(done.min(total), total);
    }
    tree
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::hhd::data::{Synthetic, prepare, synthetic};
    use crate::rng::seeded;

    fn cfg(removal: bool) -> Config {
        Config { c_min: 5, d_max: 20, delta: 0.1, removal, mode: Mode::Sync, steps: 100, max_nodes: 400 }
    }

    fn run(d: &Prepared, c: &Config) -> Tree {
        pollster::block_on(decompose(&Compute::cpu("test"), d, c, &mut seeded(1, 5), &mut |_, _| {}))
    }

    fn planted(rank: usize, rho: f64) -> Prepared {
        let s = Synthetic { n: 100, samples: 400, rank, strength: 12.0, spread: 0.4, rho };
        prepare(&synthetic(&s, &mut seeded(7, 1)).expect("fits"), false)
    }

    #[test]
    fn entropy_is_largest_for_a_tie() {
        let a = crate::compute::Mat { rows: 2, cols: 2, data: vec![3.0, 0.0, 1.0, 1.0] };
        let v = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        let h = entropies(&a, &v);
        assert!((h[1] - 2f64.ln()).abs() < 1e-12, "a tie has entropy ln 2: {}", h[1]);
        assert!(h[0] < h[1]);
    }

    #[test]
    fn tree_is_consistent() {
        let d = planted(4, 0.3);
        for removal in [true, false] {
            let t = run(&d, &cfg(removal));
            assert!(!t.nodes.is_empty());
            for n in &t.nodes {
                assert_eq!(n.size, n.members.len());
                if let Some(p) = n.parent {
                    let parent = &t.nodes[p];
                    assert!(p < n.id, "depth-first ids");
                    assert_eq!(n.depth, parent.depth + 1);
                    assert!(
                        n.members.iter().all(|m| parent.members.contains(m)),
                        "children split their parent"
                    );
                    assert!(parent.children.contains(&n.id));
                }
                if !n.leaf {
                    let kids: usize =
                        n.children.iter().map(|&c| t.nodes[c].size + t.nodes[c].removed.len()).sum();
                    assert_eq!(kids + n.dropped, n.size, "a split partitions its samples");
                    assert!(n.spike_count > 1);
                } else {
                    assert!(
                        n.spike_count <= 1
                            || n.depth >= 20
                            || n.size < 5
                            || matches!(n.reason, "spike count did not drop" | "removal-round limit"),
                        "leaf {} with {} spikes: {}",
                        n.id,
                        n.spike_count,
                        n.reason
                    );
                }
                if !removal {
                    assert!(n.removed.is_empty());
                }
            }
        }
    }

    #[test]
    fn a_single_planted_signal_is_one_leaf() {
        let d = planted(1, 0.0);
        let t = run(&d, &cfg(true));
        assert_eq!(t.nodes.len(), 1, "{:?}", t.nodes.iter().map(|n| n.reason).collect::<Vec<_>>());
        assert_eq!(t.nodes[0].spike_count, 1);
        assert_eq!(t.nodes[0].reason, "at most one spike");
    }

    #[test]
    fn node_limit_bounds_the_tree() {
        let d = planted(6, 0.5);
        let mut c = cfg(true);
        c.c_min = 1;
        c.max_nodes = 3;
        let t = run(&d, &c);
        assert!(t.nodes.len() <= 3);
    }

    #[test]
    fn removal_drops_the_maximum_entropy_sample() {
        // Every removal round removes at least the sample of largest entropy, so a node
        // whose spike count never drops still ends (here: within the round limit).
        let d = planted(3, 0.0);
        let t = run(&d, &cfg(true));
        for n in &t.nodes {
            assert!(n.rounds == 0 || !n.removed.is_empty());
        }
    }
}

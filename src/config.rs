//! Limits on what user input may ask of whatif, in one place.
//!
//! Every bound that protects the process from its input (recursion depth, model size, sample
//! counts, table sizes) lives here, so that the REPL, the CLI and the library enforce the same.

use serde::{Deserialize, Serialize};

/// Resource limits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Config {
    /// Deepest bracket nesting, and longest run of prefix operators, of `^` or of nested `if`,
    /// the parser accepts.
    pub max_nesting: usize,
    /// Deepest expression tree, operators included, a statement may build. Long chains of
    /// `+`/`-`, `*`/`/`, `and`, `or` and `xor` are regrouped into balanced trees and stay far
    /// below it; every later pass recurses at most this deep.
    pub max_expression_depth: usize,
    /// Longest source text, in bytes, whatif reads.
    pub max_source_bytes: usize,
    /// Most variables in one model.
    pub max_variables: usize,
    /// Most samples one query may draw.
    pub max_samples: u64,
    /// Most arms in one `match`.
    pub max_match_arms: usize,
    /// Most entries (products of domain sizes) an exact-inference factor may hold.
    pub max_factor_size: usize,
    /// Most rounds × runs × policies a bandit statement may simulate.
    pub max_bandit_steps: u64,
    /// Most entries a `decide` statement may tabulate: full action vectors (one value per
    /// decision of every stage) × context values (one value per observed variable).
    pub max_decision_table: usize,
    /// Most values all the domain ranges (`lo..hi`) of one model may hold together.
    pub max_range_values: usize,
    /// Most worker threads `--threads` may ask for.
    pub max_threads: usize,
    /// Most entries of the covariance matrix Gaussian algebra may hold (its live quantities
    /// squared), checked before it allocates: over it, `--method auto` samples instead and
    /// `--method exact` is an E010 error.
    pub max_gaussian_entries: usize,
    /// Most loop iterations, declarations, aggregate terms and repeated conditions and stages
    /// unrolling the families of one model may produce (nested loops' sizes are multiplied
    /// before they run).
    pub max_unrolled: usize,
    /// Most players one `attribute` statement may have (each coalition of up to 12 players is
    /// evaluated; more are sampled by permutations, each permutation `players + 1` coalitions).
    pub max_attribution_players: usize,
    /// Most coalitions one `attribute` statement may evaluate (past 12 players, `K`
    /// permutations of `n` players walk through up to `K (n − 1) + 2` of them).
    pub max_attribution_coalitions: usize,
    /// Most work one `attribute` statement may expect, in the engine choice's units
    /// (multiply-adds of exact inference, weighted sample steps of sampling): the coalitions
    /// times the expected work of one, estimated from the first plan before anything runs.
    pub max_attribution_work: u64,
    /// Most tempering stages one replicate of sequential Monte Carlo may take before it stops
    /// with an E010 error (each stage moves every particle once).
    pub max_smc_stages: usize,
    /// Most particles × latent noise values sequential Monte Carlo may hold for one question
    /// (8 bytes each, over all replicates), checked before it allocates: over it,
    /// `--method smc` is an E010 error that suggests fewer particles.
    pub max_smc_values: u64,
    /// Most model evaluations (particles × moves, over all stages and replicates) sequential
    /// Monte Carlo may make for one question: past it, an E010 error rather than a run that
    /// does not end.
    pub max_smc_evaluations: u64,
    /// Most bootstrap refits `--bootstrap B` may ask for (each holds its own sufficient
    /// statistics while the rows stream, and answers every question again).
    pub max_bootstrap: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_nesting: 200,
            max_expression_depth: 500,
            max_source_bytes: 64 << 20,
            max_variables: 1_000_000,
            max_samples: 10_000_000_000,
            max_match_arms: 100_000,
            max_factor_size: 1 << 24,
            max_bandit_steps: 2_000_000_000,
            max_decision_table: 1 << 16,
            max_range_values: 10_000_000,
            max_threads: 1024,
            max_gaussian_entries: 1 << 24,
            max_unrolled: 4_000_000,
            max_attribution_players: 1000,
            max_attribution_coalitions: 1 << 20,
            max_attribution_work: 4_000_000_000,
            max_smc_stages: 2_000,
            max_smc_values: 1 << 30,
            max_smc_evaluations: 4_000_000_000,
            max_bootstrap: 10_000,
        }
    }
}

/// The number of entries of a table whose axes have these sizes (the product of the
/// cardinalities), or `None` when the product does not fit in a `usize`. Every size that user
/// input controls (factors, joint decisions, policy tables, contexts) is computed here and
/// compared with its limit before anything of that size is allocated.
pub(crate) fn table_size(cardinalities: impl IntoIterator<Item = usize>) -> Option<usize> {
    cardinalities
        .into_iter()
        .try_fold(1usize, |size, cardinality| size.checked_mul(cardinality))
}

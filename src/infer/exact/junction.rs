//! Every marginal at once: a junction tree read off the elimination order, calibrated by two
//! passes of messages.
//!
//! Eliminating slot `v` (the `i`-th of the order) builds a table over the clique
//! `{v} ∪ separators[i]`; those cliques, each linked to the clique of the first-eliminated slot
//! of its separator, form a junction tree (running intersection holds by construction). Each
//! factor lives in the clique of its first-eliminated slot.
//!
//! - **Collect** (in elimination order): a clique's table is the product of its factors and
//!   its children's messages — exactly the bucket variable elimination multiplies —, and its
//!   message to its parent sums `v` out. This pass is variable elimination with every table
//!   kept.
//! - **Distribute** (in reverse): a clique's belief is its table times its parent's message;
//!   the message to each child is the belief summed onto their separator, divided by the
//!   child's own message (Lauritzen–Spiegelhalter's division, `0/0 = 0`), which costs one pass
//!   per child instead of one product per pair of children (Shafer–Shenoy).
//!
//! After both passes each belief is proportional to the joint of its clique and the evidence,
//! so the marginal of `v` is its clique's belief summed onto `v`. Messages are rescaled to a
//! largest entry of 1 and beliefs to a sum of 1 (only ratios are read), so long chains of
//! small probabilities do not underflow. Evidence of probability zero shows as a message that
//! is zero everywhere.
//!
//! **Invariant:** knows only factors, slot numbers and the order; every table it builds is one
//! the order's cost already counted (a clique), or smaller.

use super::eliminate::product;
use super::factor::Factor;
use super::order::Order;
use crate::ast::Span;
use crate::diagnostics::Diagnostic;

/// The calibrated marginals.
pub(super) struct Calibrated {
    /// Whether the evidence has positive probability (else no marginal is given).
    pub possible: bool,
    /// Per slot of the order: its marginal over its domain's values, summing to 1.
    pub marginals: Vec<(usize, Vec<f64>)>,
}

/// Calibrates the junction tree of `order` over `factors` (every slot of every factor is in
/// the order) and reads each eliminated slot's marginal.
pub(super) fn calibrate(
    factors: Vec<Factor>,
    order: &Order,
    n_slots: usize,
    cap: usize,
    span: Span,
) -> Result<Calibrated, Diagnostic> {
    let impossible = Calibrated {
        possible: false,
        marginals: Vec::new(),
    };
    let m = order.sequence.len();
    let mut position = vec![usize::MAX; n_slots];
    for (i, &s) in order.sequence.iter().enumerate() {
        position[s] = i;
    }
    let first = |slots: &[usize]| slots.iter().map(|&s| position[s]).min();
    let parent: Vec<Option<usize>> = order.separators.iter().map(|sep| first(sep)).collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); m];
    for (i, p) in parent.iter().enumerate() {
        if let Some(p) = p {
            children[*p].push(i);
        }
    }
    let mut assigned: Vec<Vec<Factor>> = vec![Vec::new(); m];
    for f in factors {
        match first(&f.slots) {
            Some(home) if home < m => assigned[home].push(f),
            _ => {
                if f.values.iter().all(|&x| x == 0.0) {
                    return Ok(impossible);
                }
            }
        }
    }

    // Collect: each clique's table (its slot last) and its message to its parent.
    let mut tables: Vec<Factor> = Vec::with_capacity(m);
    let mut up: Vec<Factor> = Vec::with_capacity(m);
    for i in 0..m {
        if i % 256 == 255 {
            crate::infer::check_cancel()?;
        }
        let v = order.sequence[i];
        let mut bucket = std::mem::take(&mut assigned[i]);
        bucket.extend(children[i].iter().map(|&c| up[c].clone()));
        let table = product(&bucket, Some(v), false, cap, span)?;
        let mut message = sum_last(&table);
        let largest = message.values.iter().copied().fold(0.0, f64::max);
        if largest <= 0.0 || !largest.is_finite() {
            return Ok(impossible);
        }
        message.values.iter_mut().for_each(|x| *x /= largest);
        tables.push(table);
        up.push(message);
    }

    // Distribute: beliefs from the roots down, a marginal per clique.
    let mut down: Vec<Option<Factor>> = vec![None; m];
    let mut marginals = Vec::with_capacity(m);
    for i in (0..m).rev() {
        if i % 256 == 255 {
            crate::infer::check_cancel()?;
        }
        let mut belief = std::mem::replace(&mut tables[i], Factor::constant(0.0));
        if let Some(message) = down[i].take() {
            multiply_into(&mut belief, &message);
        }
        let total: f64 = belief.values.iter().sum();
        if total <= 0.0 || !total.is_finite() {
            return Ok(impossible);
        }
        belief.values.iter_mut().for_each(|x| *x /= total);
        let card = belief.cards.last().copied().unwrap_or(1).max(1);
        let mut marginal = vec![0.0; card];
        for run in belief.values.chunks(card) {
            for (m, x) in marginal.iter_mut().zip(run) {
                *m += x;
            }
        }
        marginals.push((order.sequence[i], marginal));
        for &c in &children[i] {
            let mut message = project(&belief, &up[c].slots);
            for (x, d) in message.values.iter_mut().zip(&up[c].values) {
                *x = if *d > 0.0 { *x / d } else { 0.0 };
            }
            down[c] = Some(message);
        }
    }
    Ok(Calibrated {
        possible: true,
        marginals,
    })
}

/// `table` with its last slot summed out (each result entry sums one contiguous run).
fn sum_last(table: &Factor) -> Factor {
    let card = table.cards.last().copied().unwrap_or(1).max(1);
    let n = table.slots.len().saturating_sub(1);
    Factor {
        slots: table.slots[..n].to_vec(),
        cards: table.cards[..n].to_vec(),
        values: table
            .values
            .chunks(card)
            .map(|run| run.iter().sum())
            .collect(),
    }
}

/// For each slot of `of`, the stride of its value in a table over `onto` (0 when `onto` does
/// not hold it).
fn strides_onto(of: &Factor, onto: &[usize], onto_cards: &[usize]) -> Vec<usize> {
    let mut own = vec![0usize; onto.len()];
    let mut acc = 1;
    for k in (0..onto.len()).rev() {
        own[k] = acc;
        acc *= onto_cards[k];
    }
    of.slots
        .iter()
        .map(|s| onto.iter().position(|x| x == s).map_or(0, |k| own[k]))
        .collect()
}

/// Visits every entry of `table` in order with its offset in a table whose strides per slot
/// of `table` are `strides`.
fn walk(cards: &[usize], strides: &[usize], mut f: impl FnMut(usize, usize)) {
    let entries: usize = cards.iter().product();
    let mut assignment = vec![0usize; cards.len()];
    let mut offset = 0usize;
    for i in 0..entries {
        f(i, offset);
        let mut k = cards.len();
        while k > 0 {
            k -= 1;
            assignment[k] += 1;
            offset += strides[k];
            if assignment[k] < cards[k] {
                break;
            }
            offset -= strides[k] * cards[k];
            assignment[k] = 0;
        }
    }
}

/// `table` summed onto `keep` (slots of `table`), in `keep`'s order.
fn project(table: &Factor, keep: &[usize]) -> Factor {
    let cards: Vec<usize> = keep
        .iter()
        .map(|s| {
            let k = table.slots.iter().position(|x| x == s);
            k.map_or(1, |k| table.cards[k])
        })
        .collect();
    let mut values = vec![0.0; cards.iter().product::<usize>().max(1)];
    let strides = strides_onto(table, keep, &cards);
    walk(&table.cards, &strides, |i, o| values[o] += table.values[i]);
    Factor {
        slots: keep.to_vec(),
        cards,
        values,
    }
}

/// Multiplies `table` entry by entry by `message`, whose slots are among `table`'s.
fn multiply_into(table: &mut Factor, message: &Factor) {
    let strides = strides_onto(table, &message.slots, &message.cards);
    let mut values = std::mem::take(&mut table.values);
    walk(&table.cards, &strides, |i, o| {
        values[i] *= message.values[o]
    });
    table.values = values;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factor(slots: &[usize], cards: &[usize], values: &[f64]) -> Factor {
        Factor::from_slices(slots, cards, values)
    }

    #[test]
    fn projection_and_multiplication_follow_the_slots() {
        // f(a, b) over 2 × 3 values.
        let f = factor(&[0, 1], &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(project(&f, &[1]).values, vec![5.0, 7.0, 9.0]);
        assert_eq!(project(&f, &[0]).values, vec![6.0, 15.0]);
        assert_eq!(
            project(&f, &[1, 0]).values,
            vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
        );
        let mut g = f.clone();
        multiply_into(&mut g, &factor(&[1], &[3], &[1.0, 0.0, 2.0]));
        assert_eq!(g.values, vec![1.0, 0.0, 6.0, 4.0, 0.0, 12.0]);
        multiply_into(&mut g, &factor(&[0], &[2], &[2.0, 0.5]));
        assert_eq!(g.values, vec![2.0, 0.0, 12.0, 2.0, 0.0, 6.0]);
    }
}

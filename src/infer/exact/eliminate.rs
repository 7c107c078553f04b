//! Variable elimination: multiplying factors and summing slots out, in a given order.
//!
//! Bucket elimination: each slot of the order takes the factors that read it, multiplies them
//! and sums it out; the result joins the remaining factors. The order (from
//! [`super::order`]) has already bounded every table by the cap, so the check here is only a
//! guard.
//!
//! **Invariant:** knows only factors and slot numbers.

use super::cannot;
use super::factor::Factor;
use crate::ast::Span;
use crate::diagnostics::Diagnostic;

/// Sums out the slots of `sequence` in order; returns the factors that remain (over the slots
/// not in the sequence). `n_slots` bounds the slot numbers.
pub(super) fn eliminate(
    factors: Vec<Factor>,
    sequence: &[usize],
    n_slots: usize,
    cap: usize,
    span: Span,
) -> Result<Vec<Factor>, Diagnostic> {
    let mut pool: Vec<Option<Factor>> = factors.into_iter().map(Some).collect();
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n_slots];
    for (f, factor) in pool.iter().enumerate() {
        for &s in &factor.as_ref().expect("just built").slots {
            readers[s].push(f);
        }
    }
    for (step, &slot) in sequence.iter().enumerate() {
        if step % 256 == 255 {
            crate::infer::check_cancel()?;
        }
        let bucket: Vec<Factor> = std::mem::take(&mut readers[slot])
            .into_iter()
            .filter_map(|f| pool[f].take())
            .collect();
        if bucket.is_empty() {
            continue;
        }
        let result = product_sum_out(&bucket, Some(slot), cap, span)?;
        let id = pool.len();
        for &s in &result.slots {
            readers[s].push(id);
        }
        pool.push(Some(result));
    }
    Ok(pool.into_iter().flatten().collect())
}

/// The product of `factors`, with `out` summed out.
pub(super) fn product_sum_out(
    factors: &[Factor],
    out: Option<usize>,
    cap: usize,
    span: Span,
) -> Result<Factor, Diagnostic> {
    product(factors, out, true, cap, span)
}

/// The product of `factors` over the union of their scopes, `last` (when given) moved to the
/// end of the scope (the fastest-varying position) and, when `sum`, summed out.
pub(super) fn product(
    factors: &[Factor],
    out: Option<usize>,
    sum: bool,
    cap: usize,
    span: Span,
) -> Result<Factor, Diagnostic> {
    let mut scope: Vec<usize> = Vec::new();
    let mut cards: Vec<usize> = Vec::new();
    for f in factors {
        for (&s, &c) in f.slots.iter().zip(&f.cards) {
            if !scope.contains(&s) {
                scope.push(s);
                cards.push(c);
            }
        }
    }
    // The summed-out slot goes last so each result entry is a contiguous run.
    if let Some(o) = out
        && let Some(k) = scope.iter().position(|&s| s == o)
    {
        let c = cards.remove(k);
        scope.remove(k);
        scope.push(o);
        cards.push(c);
    }
    let total = crate::config::table_size(cards.iter().copied())
        .filter(|&size| size <= cap)
        .ok_or_else(|| {
            cannot(
                span,
                format!("variable elimination would build a table of more than {cap} entries"),
            )
        })?;
    // Each factor's stride for each scope position.
    let strides: Vec<Vec<usize>> = factors
        .iter()
        .map(|f| {
            let mut own = vec![0usize; f.slots.len()];
            let mut acc = 1;
            for k in (0..f.slots.len()).rev() {
                own[k] = acc;
                acc *= f.cards[k];
            }
            scope
                .iter()
                .map(|s| f.slots.iter().position(|x| x == s).map_or(0, |k| own[k]))
                .collect()
        })
        .collect();
    let summed = sum && out.is_some_and(|o| scope.last() == Some(&o));
    let inner = if summed {
        cards.last().copied().unwrap_or(1).max(1)
    } else {
        1
    };
    let mut values = vec![0.0; total / inner];
    let mut assignment = vec![0usize; scope.len()];
    let mut offsets = vec![0usize; factors.len()];
    for i in 0..total {
        let mut p = 1.0;
        for (f, factor) in factors.iter().enumerate() {
            p *= factor.values[offsets[f]];
            if p == 0.0 {
                break;
            }
        }
        values[i / inner] += p;
        // Advance the mixed-radix counter, keeping each factor's offset in step.
        let mut k = scope.len();
        while k > 0 {
            k -= 1;
            assignment[k] += 1;
            for (f, st) in strides.iter().enumerate() {
                offsets[f] += st[k];
            }
            if assignment[k] < cards[k] {
                break;
            }
            for (f, st) in strides.iter().enumerate() {
                offsets[f] -= st[k] * cards[k];
            }
            assignment[k] = 0;
        }
    }
    if summed {
        scope.pop();
        cards.pop();
    }
    Ok(Factor {
        slots: scope,
        cards,
        values,
    })
}

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

/// Most entries of the block of trailing scope positions [`product`] gathers at once.
const BLOCK: usize = 256;

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
    // The trailing scope positions form a block of at most `BLOCK` entries (at least the last
    // position, a multiple of `inner`): each factor's offset for every entry of the block is
    // tabulated once, so the block is a tight gather; the leading positions advance a
    // mixed-radix counter, each factor's offset in step. Entries are visited, multiplied and
    // added in the same order as one flat counter would.
    let mut split = scope.len();
    let mut block = 1usize;
    while split > 0 && (split == scope.len() || block * cards[split - 1] <= BLOCK) {
        split -= 1;
        block *= cards[split];
    }
    let gather: Vec<Vec<usize>> = strides
        .iter()
        .map(|st| {
            let mut table = Vec::with_capacity(block);
            let mut digits = vec![0usize; scope.len() - split];
            let mut offset = 0usize;
            for _ in 0..block {
                table.push(offset);
                let mut k = digits.len();
                while k > 0 {
                    k -= 1;
                    digits[k] += 1;
                    offset += st[split + k];
                    if digits[k] < cards[split + k] {
                        break;
                    }
                    offset -= st[split + k] * cards[split + k];
                    digits[k] = 0;
                }
            }
            table
        })
        .collect();
    let mut assignment = vec![0usize; split];
    let mut offsets = vec![0usize; factors.len()];
    let tables: Vec<&[f64]> = factors.iter().map(|f| f.values.as_slice()).collect();
    let gather: Vec<&[usize]> = gather.iter().map(Vec::as_slice).collect();
    let per_block = block / inner;
    for out in values.chunks_mut(per_block.max(1)) {
        match factors.len() {
            1 => gather_block::<1>(&tables, &gather, &offsets, inner, out),
            2 => gather_block::<2>(&tables, &gather, &offsets, inner, out),
            3 => gather_block::<3>(&tables, &gather, &offsets, inner, out),
            _ => gather_any(&tables, &gather, &offsets, inner, out),
        }
        let mut k = split;
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

/// One block of [`product`] for exactly `N` factors (the loop over them unrolled): entry `o`
/// of `out` sums the products of the block's entries `o·inner .. (o+1)·inner`, factor `f`'s
/// entry `j` being `tables[f][offsets[f] + gather[f][j]]`. A product stops at its first zero.
fn gather_block<const N: usize>(
    tables: &[&[f64]],
    gather: &[&[usize]],
    offsets: &[usize],
    inner: usize,
    out: &mut [f64],
) {
    let tables: [&[f64]; N] = std::array::from_fn(|f| tables[f]);
    let gather: [&[usize]; N] = std::array::from_fn(|f| gather[f]);
    let offsets: [usize; N] = std::array::from_fn(|f| offsets[f]);
    for (o, entry) in out.iter_mut().enumerate() {
        let mut sum = 0.0;
        for j in o * inner..(o + 1) * inner {
            let mut p = 1.0;
            for f in 0..N {
                p *= tables[f][offsets[f] + gather[f][j]];
                if p == 0.0 {
                    break;
                }
            }
            sum += p;
        }
        *entry = sum;
    }
}

/// [`gather_block`] for any number of factors.
fn gather_any(
    tables: &[&[f64]],
    gather: &[&[usize]],
    offsets: &[usize],
    inner: usize,
    out: &mut [f64],
) {
    for (o, entry) in out.iter_mut().enumerate() {
        let mut sum = 0.0;
        for j in o * inner..(o + 1) * inner {
            let mut p = 1.0;
            for ((table, gather), base) in tables.iter().zip(gather).zip(offsets) {
                p *= table[base + gather[j]];
                if p == 0.0 {
                    break;
                }
            }
            sum += p;
        }
        *entry = sum;
    }
}

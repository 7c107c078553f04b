//! An identified estimand: a small expression tree of sums, products and quotients of
//! conditionals of the observed distribution, printed as text and LaTeX, simplified by exact
//! rules only, and evaluated on any distribution of the observed variables ([`Observed`]).
//!
//! Variables are ADMG node ids. A variable that is free in the estimand stands for its value
//! in the question (`x` in `P(y | do(x))`); a `Sum` binds its variables (lexically: an inner
//! sum over a free variable shadows it, and is printed primed, `smoking'`).

use super::admg::Admg;

/// An estimand over the observed variables.
#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    /// `P(vars | given)` of the observed distribution; `vars` empty is the constant 1.
    Prob { vars: Vec<usize>, given: Vec<usize> },
    /// `Σ_over body`.
    Sum { over: Vec<usize>, body: Box<Term> },
    /// A product; empty is 1.
    Product(Vec<Term>),
    /// `numerator / denominator`.
    Quotient(Box<Term>, Box<Term>),
}

/// A cell of a conditional that no row (or no probability mass) supports.
#[derive(Clone, Debug, PartialEq)]
pub struct EmptyCell {
    /// The conditioning variables and their value codes.
    pub given: Vec<(usize, u32)>,
}

/// A distribution over the observed variables, each with a finite domain of value codes
/// `0..domain_size(v)`.
pub trait Observed {
    /// How many values `v` takes.
    fn domain_size(&self, v: usize) -> usize;
    /// `P(vars = env[vars] | given = env[given])`, or the empty cell when `P(given) = 0`.
    fn prob(&self, vars: &[usize], given: &[usize], env: &[u32]) -> Result<f64, EmptyCell>;
}

impl Term {
    /// The constant 1.
    pub fn one() -> Term {
        Term::Product(Vec::new())
    }

    /// Whether the term is the constant 1.
    pub fn is_one(&self) -> bool {
        match self {
            Term::Product(fs) => fs.iter().all(Term::is_one),
            Term::Prob { vars, .. } => vars.is_empty(),
            _ => false,
        }
    }

    /// Every variable mentioned, free or bound.
    pub fn mentions(&self, out: &mut Vec<usize>) {
        match self {
            Term::Prob { vars, given } => out.extend(vars.iter().chain(given)),
            Term::Sum { over, body } => {
                out.extend(over);
                body.mentions(out);
            }
            Term::Product(fs) => fs.iter().for_each(|f| f.mentions(out)),
            Term::Quotient(a, b) => {
                a.mentions(out);
                b.mentions(out);
            }
        }
    }

    /// The free variables: those whose values the question supplies.
    pub fn free(&self) -> Vec<usize> {
        let mut out = Vec::new();
        self.collect_free(&mut Vec::new(), &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    fn collect_free(&self, bound: &mut Vec<usize>, out: &mut Vec<usize>) {
        match self {
            Term::Prob { vars, given } => out.extend(
                vars.iter()
                    .chain(given)
                    .copied()
                    .filter(|v| !bound.contains(v)),
            ),
            Term::Sum { over, body } => {
                let mark = bound.len();
                bound.extend(over);
                body.collect_free(bound, out);
                bound.truncate(mark);
            }
            Term::Product(fs) => fs.iter().for_each(|f| f.collect_free(bound, out)),
            Term::Quotient(a, b) => {
                a.collect_free(bound, out);
                b.collect_free(bound, out);
            }
        }
    }

    /// Simplifies by exact rules: nested products flattened, ones dropped, a sum of a joint
    /// conditional over some of its own variables marginalised (`Σ_b P(a, b | c) = P(a | c)`),
    /// a factor summed over variables nothing else mentions dropped to its margin, empty sums
    /// removed.
    pub fn simplify(self) -> Term {
        match self {
            Term::Prob {
                mut vars,
                mut given,
            } => {
                given.retain(|g| !vars.contains(g));
                vars.dedup();
                given.dedup();
                Term::Prob { vars, given }
            }
            Term::Product(fs) => {
                let mut out = Vec::new();
                for f in fs {
                    match f.simplify() {
                        Term::Product(inner) => out.extend(inner),
                        f if f.is_one() => {}
                        f => out.push(f),
                    }
                }
                if out.len() == 1 {
                    out.pop().unwrap_or_else(Term::one)
                } else {
                    Term::Product(out)
                }
            }
            Term::Quotient(a, b) => {
                let (a, b) = (a.simplify(), b.simplify());
                match (a, b) {
                    (a, b) if b.is_one() => a,
                    // P(A | C) / P(B | C) with B ⊂ A is P(A \ B | B, C).
                    (Term::Prob { vars: a, given: c }, Term::Prob { vars: b, given: d })
                        if sorted_eq(&c, &d)
                            && b.iter().all(|v| a.contains(v))
                            && b.len() < a.len() =>
                    {
                        let mut given = b.clone();
                        given.extend(c);
                        Term::Prob {
                            vars: a.into_iter().filter(|v| !b.contains(v)).collect(),
                            given,
                        }
                    }
                    (a, b) => Term::Quotient(Box::new(a), Box::new(b)),
                }
            }
            Term::Sum { over, body } => simplify_sum(over, body.simplify()),
        }
    }

    /// The value at `env` (one value code per variable; bound ones are overwritten).
    pub fn eval(&self, dist: &dyn Observed, env: &mut [u32]) -> Result<f64, EmptyCell> {
        match self {
            Term::Prob { vars, given } => {
                if vars.is_empty() {
                    Ok(1.0)
                } else {
                    dist.prob(vars, given, env)
                }
            }
            Term::Product(fs) => {
                let mut p = 1.0;
                for f in fs {
                    p *= f.eval(dist, env)?;
                    if p == 0.0 {
                        break;
                    }
                }
                Ok(p)
            }
            Term::Quotient(a, b) => {
                let num = a.eval(dist, env)?;
                let den = b.eval(dist, env)?;
                if den == 0.0 {
                    // The denominator is a margin of the conditioning cell: no mass there.
                    let mut given = Vec::new();
                    b.free().into_iter().for_each(|v| given.push((v, env[v])));
                    return Err(EmptyCell { given });
                }
                Ok(num / den)
            }
            Term::Sum { over, body } => {
                let saved: Vec<u32> = over.iter().map(|v| env[*v]).collect();
                let sizes: Vec<usize> = over.iter().map(|v| dist.domain_size(*v)).collect();
                if sizes.contains(&0) {
                    return Ok(0.0);
                }
                for v in over {
                    env[*v] = 0;
                }
                let mut total = 0.0;
                'outer: loop {
                    total += body.eval(dist, env)?;
                    for (i, v) in over.iter().enumerate() {
                        env[*v] += 1;
                        if (env[*v] as usize) < sizes[i] {
                            continue 'outer;
                        }
                        env[*v] = 0;
                    }
                    break;
                }
                for (v, s) in over.iter().zip(saved) {
                    env[*v] = s;
                }
                Ok(total)
            }
        }
    }

    /// Text: `Σ_tar P(tar | smoking) Σ_smoking' P(cancer | smoking', tar) P(smoking')`.
    pub fn text(&self, g: &Admg) -> String {
        let mut out = String::new();
        let mut level = self.initial_levels(g.len());
        write_term(&mut out, self, g, &mut level, false, false);
        out
    }

    /// LaTeX: `\sum_{tar} P(tar \mid smoking) \sum_{smoking'} ...`.
    pub fn latex(&self, g: &Admg) -> String {
        let mut out = String::new();
        let mut level = self.initial_levels(g.len());
        write_term(&mut out, self, g, &mut level, true, false);
        out
    }

    fn initial_levels(&self, n: usize) -> Vec<usize> {
        let mut level = vec![0; n];
        for v in self.free() {
            level[v] = 1;
        }
        level
    }
}

fn sorted_eq(a: &[usize], b: &[usize]) -> bool {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

/// `Σ_over body`, simplified.
fn simplify_sum(mut over: Vec<usize>, body: Term) -> Term {
    over.sort_unstable();
    over.dedup();
    if over.is_empty() {
        return body;
    }
    match body {
        Term::Prob { vars, given } if !over.iter().any(|v| given.contains(v)) => {
            // Σ over some of its own variables: the margin. Over variables it does not
            // mention the sum would multiply by a domain size: leave those.
            let (summed, rest): (Vec<usize>, Vec<usize>) =
                over.iter().partition(|v| vars.contains(v));
            let kept: Vec<usize> = vars.into_iter().filter(|v| !summed.contains(v)).collect();
            let inner = Term::Prob { vars: kept, given };
            if rest.is_empty() {
                inner
            } else {
                Term::Sum {
                    over: rest,
                    body: Box::new(inner),
                }
            }
        }
        Term::Product(mut fs) => {
            // Drop, one at a time, a factor's own variables that nothing else mentions.
            let mut changed = true;
            while changed {
                changed = false;
                for i in 0..fs.len() {
                    let Term::Prob { vars, given } = &fs[i] else {
                        continue;
                    };
                    let mut others = Vec::new();
                    for (j, f) in fs.iter().enumerate() {
                        if j != i {
                            f.mentions(&mut others);
                        }
                    }
                    let drop: Vec<usize> = vars
                        .iter()
                        .copied()
                        .filter(|v| over.contains(v) && !others.contains(v) && !given.contains(v))
                        .collect();
                    if drop.is_empty() {
                        continue;
                    }
                    let vars: Vec<usize> =
                        vars.iter().copied().filter(|v| !drop.contains(v)).collect();
                    let given = given.clone();
                    over.retain(|v| !drop.contains(v));
                    if vars.is_empty() {
                        fs.remove(i);
                    } else {
                        fs[i] = Term::Prob { vars, given };
                    }
                    changed = true;
                    break;
                }
            }
            let body = match fs.len() {
                1 => fs.pop().unwrap_or_else(Term::one),
                _ => Term::Product(fs),
            };
            if over.is_empty() {
                body
            } else {
                Term::Sum {
                    over,
                    body: Box::new(body),
                }
            }
        }
        body => Term::Sum {
            over,
            body: Box::new(body),
        },
    }
}

fn name(out: &mut String, g: &Admg, level: &[usize], v: usize, latex: bool) {
    let primes = level[v].saturating_sub(1);
    if latex {
        out.push_str(&latex_name(&g.names[v]));
    } else {
        out.push_str(&g.names[v]);
    }
    for _ in 0..primes {
        out.push('\'');
    }
}

fn latex_name(name: &str) -> String {
    let escaped = name.replace('_', "\\_");
    if name.chars().count() > 1 {
        format!("\\mathit{{{escaped}}}")
    } else {
        escaped
    }
}

fn names(out: &mut String, g: &Admg, level: &[usize], vs: &[usize], latex: bool) {
    for (i, v) in vs.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        name(out, g, level, *v, latex);
    }
}

/// Writes `term`; `wrap` asks for brackets around sums (a sum followed by more factors).
fn write_term(
    out: &mut String,
    term: &Term,
    g: &Admg,
    level: &mut Vec<usize>,
    latex: bool,
    wrap: bool,
) {
    match term {
        Term::Prob { vars, given } => {
            if vars.is_empty() {
                out.push('1');
                return;
            }
            out.push_str("P(");
            names(out, g, level, &sorted_by_order(g, vars), latex);
            if !given.is_empty() {
                out.push_str(if latex { " \\mid " } else { " | " });
                names(out, g, level, &sorted_by_order(g, given), latex);
            }
            out.push(')');
        }
        Term::Product(fs) => {
            if fs.is_empty() {
                out.push('1');
            }
            for (i, f) in fs.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_term(out, f, g, level, latex, i + 1 < fs.len());
            }
        }
        Term::Quotient(a, b) => {
            if latex {
                out.push_str("\\frac{");
                write_term(out, a, g, level, latex, false);
                out.push_str("}{");
                write_term(out, b, g, level, latex, false);
                out.push('}');
            } else {
                let simple = |t: &Term| matches!(t, Term::Prob { .. });
                for (i, t) in [a, b].into_iter().enumerate() {
                    if i == 1 {
                        out.push_str(" / ");
                    }
                    if simple(t) {
                        write_term(out, t, g, level, latex, false);
                    } else {
                        out.push('[');
                        write_term(out, t, g, level, latex, false);
                        out.push(']');
                    }
                }
            }
        }
        Term::Sum { over, body } => {
            if wrap {
                out.push_str(if latex { "\\left[" } else { "[" });
            }
            for v in over {
                level[*v] += 1;
            }
            let ordered = sorted_by_order(g, over);
            if latex {
                out.push_str("\\sum_{");
                names(out, g, level, &ordered, latex);
                out.push_str("} ");
            } else if ordered.len() == 1 {
                out.push_str("Σ_");
                names(out, g, level, &ordered, latex);
                out.push(' ');
            } else {
                out.push_str("Σ_{");
                names(out, g, level, &ordered, latex);
                out.push_str("} ");
            }
            write_term(out, body, g, level, latex, false);
            for v in over {
                level[*v] -= 1;
            }
            if wrap {
                out.push_str(if latex { "\\right]" } else { "]" });
            }
        }
    }
}

fn sorted_by_order(g: &Admg, vs: &[usize]) -> Vec<usize> {
    g.order.iter().copied().filter(|v| vs.contains(v)).collect()
}

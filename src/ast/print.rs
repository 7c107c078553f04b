//! The AST printer: `Display` for every node, writing source that parses back to the same
//! tree (up to spans). Parenthesises only where precedence requires it; reals keep a decimal
//! point so they read back as reals.

use super::*;
use std::fmt::{self, Display, Formatter, Write as _};

impl Display for Program {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for statement in &self.statements {
            writeln!(f, "{statement}")?;
        }
        Ok(())
    }
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            StatementKind::Let { name, value } => write!(f, "let {} = {value}", name.name),
            StatementKind::Variable {
                name,
                indices,
                mechanism,
                exogenous,
            } => {
                if *exogenous {
                    f.write_str("exogenous ")?;
                }
                write_member(f, name, indices)?;
                match mechanism {
                    Mechanism::Stochastic(dist) => write!(f, " ~ {dist}"),
                    Mechanism::Deterministic(expr) => write!(f, " := {expr}"),
                }
            }
            StatementKind::Decision {
                name,
                indices,
                domain,
            } => {
                f.write_str("decision ")?;
                write_member(f, name, indices)?;
                write!(f, " in {domain}")
            }
            StatementKind::For { binder, body } => {
                writeln!(f, "for {binder} {{")?;
                for statement in body {
                    for line in statement.to_string().lines() {
                        writeln!(f, "  {line}")?;
                    }
                }
                f.write_str("}")
            }
            StatementKind::Set { name, value } => write!(f, "set {} = {value}", name.name),
            StatementKind::Query { name, estimand } => match name {
                Some(name) => write!(f, "query {} = {estimand}", name.name),
                None => write!(f, "query {estimand}"),
            },
            StatementKind::Decide(decide) => write!(f, "{decide}"),
            StatementKind::Bandit(bandit) => write!(f, "{bandit}"),
            StatementKind::Data { path, .. } => write!(f, "data \"{path}\""),
            StatementKind::Edges(edges) => {
                for (i, end) in edges.ends.iter().enumerate() {
                    if i > 0 {
                        f.write_str(match edges.arrows[i - 1] {
                            Arrow::Directed => " -> ",
                            Arrow::Bidirected => " <-> ",
                        })?;
                    }
                    let names: Vec<&str> = end.iter().map(|n| n.name.as_str()).collect();
                    match names.as_slice() {
                        [one] => f.write_str(one)?,
                        _ => write!(f, "{{{}}}", names.join(", "))?,
                    }
                }
                Ok(())
            }
            StatementKind::Identify {
                targets,
                treatments,
                given,
            } => {
                f.write_str("identify P(")?;
                write_list(f, targets)?;
                if !treatments.is_empty() || !given.is_empty() {
                    f.write_str(" | ")?;
                }
                if !treatments.is_empty() {
                    f.write_str("do(")?;
                    write_list(f, treatments)?;
                    f.write_str(")")?;
                    if !given.is_empty() {
                        f.write_str(", ")?;
                    }
                }
                write_list(f, given)?;
                f.write_str(")")
            }
            StatementKind::Attribute(attribute) => write!(f, "{attribute}"),
        }
    }
}

/// Writes `name[i][j]`.
fn write_member(f: &mut Formatter<'_>, name: &Ident, indices: &[Expr]) -> fmt::Result {
    f.write_str(&name.name)?;
    for index in indices {
        write!(f, "[{index}]")?;
    }
    Ok(())
}

/// Writes ` for i in a..b for j in c..d`.
fn write_repeat(f: &mut Formatter<'_>, binders: &[Binder]) -> fmt::Result {
    for binder in binders {
        write!(f, " for {binder}")?;
    }
    Ok(())
}

impl Display for Binder {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} in {}..{}", self.var.name, self.lo, self.hi)
    }
}

impl Display for Member {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_member(f, &self.name, &self.indices)
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Real(x) => write!(f, "{}", format_real(*x)),
            Literal::Label(s) => write!(f, "\"{s}\""),
        }
    }
}

/// A real printed so that it reads back as a real (`2.0`, not `2`).
pub fn format_real(x: f64) -> String {
    let text = format!("{x:?}");
    if text.contains(['.', 'e', 'E']) || !x.is_finite() {
        text
    } else {
        format!("{text}.0")
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_expr(f, self, 0)
    }
}

/// Writes `expr`, parenthesised if it binds more loosely than `context` requires.
fn write_expr(f: &mut Formatter<'_>, expr: &Expr, context: u8) -> fmt::Result {
    match &expr.kind {
        ExprKind::Literal(Literal::Int(i)) if *i < 0 => write!(f, "({i})"),
        ExprKind::Literal(Literal::Real(x)) if *x < 0.0 => write!(f, "({})", format_real(*x)),
        ExprKind::Literal(literal) => write!(f, "{literal}"),
        ExprKind::Name(name) => f.write_str(name),
        ExprKind::Parameter { name, index, .. } => {
            write!(f, "?{}", name.as_deref().unwrap_or(""))?;
            if !index.is_empty() {
                f.write_str("[")?;
                for (k, axis) in index.iter().enumerate() {
                    if k > 0 {
                        f.write_str(", ")?;
                    }
                    write_member(f, &axis.name, &axis.indices)?;
                }
                f.write_str("]")?;
            }
            Ok(())
        }
        ExprKind::Index { name, indices } => write_member(f, name, indices),
        ExprKind::Counterfactual {
            name,
            indices,
            interventions,
        } => {
            write_member(f, name, indices)?;
            f.write_str("[do(")?;
            write_list(f, interventions)?;
            f.write_str(")]")
        }
        ExprKind::Aggregate { op, body, binders } => {
            write!(f, "{}({body}", op.name())?;
            write_repeat(f, binders)?;
            f.write_str(")")
        }
        ExprKind::Unary { op, operand } => {
            let (symbol, strength) = match op {
                UnaryOp::Neg => ("-", 8),
                UnaryOp::Not => ("not ", 4),
            };
            let wrap = strength < context;
            if wrap {
                f.write_str("(")?;
            }
            f.write_str(symbol)?;
            write_expr(f, operand, strength)?;
            if wrap {
                f.write_str(")")?;
            }
            Ok(())
        }
        ExprKind::Binary { op, left, right } => {
            let strength = op.precedence();
            let wrap = strength < context;
            if wrap {
                f.write_str("(")?;
            }
            // Left-associative except `^`; comparisons do not chain, so both sides tighter.
            let comparison = strength == 5;
            let (left_context, right_context) = if *op == BinaryOp::Pow {
                (strength + 1, strength)
            } else if comparison {
                (strength + 1, strength + 1)
            } else {
                (strength, strength + 1)
            };
            write_expr(f, left, left_context)?;
            write!(f, " {} ", op.symbol())?;
            write_expr(f, right, right_context)?;
            if wrap {
                f.write_str(")")?;
            }
            Ok(())
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            // `if` extends as far right as it can: parenthesise it inside anything else.
            let wrap = context > 0;
            if wrap {
                f.write_str("(")?;
            }
            write!(f, "if {cond} then {then} else {otherwise}")?;
            if wrap {
                f.write_str(")")?;
            }
            Ok(())
        }
        ExprKind::Match { scrutinees, arms } => write_match(f, scrutinees, arms),
        ExprKind::Call { name, args } => {
            write!(f, "{}(", name.name)?;
            write_list(f, args)?;
            f.write_str(")")
        }
    }
}

fn write_match<T: Display>(
    f: &mut Formatter<'_>,
    scrutinees: &[Expr],
    arms: &[Arm<T>],
) -> fmt::Result {
    f.write_str("match ")?;
    if scrutinees.len() == 1 {
        write_expr(f, &scrutinees[0], 1)?;
    } else {
        f.write_str("(")?;
        write_list(f, scrutinees)?;
        f.write_str(")")?;
    }
    f.write_str(" { ")?;
    for (i, arm) in arms.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        if arm.tuple {
            f.write_str("(")?;
            write_list(f, &arm.patterns)?;
            f.write_str(")")?;
        } else {
            write_list(f, &arm.patterns)?;
        }
        write!(f, " => {}", arm.body)?;
    }
    f.write_str(" }")
}

fn write_list<T: Display>(f: &mut Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl Display for Pattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Wildcard(_) => f.write_str("_"),
            Pattern::Literal(literal, _) => write!(f, "{literal}"),
        }
    }
}

impl Display for Argument {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some((label, _)) = &self.label {
            write!(f, "\"{label}\": ")?;
        }
        write!(f, "{}", self.value)
    }
}

impl Display for DistExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            DistExpr::Call { name, args, .. } => {
                write!(f, "{}(", name.name)?;
                write_list(f, args)?;
                f.write_str(")")
            }
            DistExpr::If {
                cond,
                then,
                otherwise,
                ..
            } => write!(f, "if {cond} then {then} else {otherwise}"),
            DistExpr::Match {
                scrutinees, arms, ..
            } => write_match(f, scrutinees, arms),
        }
    }
}

impl Display for Intervention {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_member(f, &self.target, &self.indices)?;
        match &self.value {
            InterventionValue::Set(expr) => write!(f, " = {expr}")?,
            InterventionValue::Draw(dist) => write!(f, " ~ {dist}")?,
        }
        write_repeat(f, &self.repeat)
    }
}

impl Display for Condition {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Do(interventions, _) => {
                f.write_str("do(")?;
                write_list(f, interventions)?;
                f.write_str(")")
            }
            Condition::Evidence(expr) => write!(f, "{expr}"),
            Condition::EachEvidence(expr, binders) => {
                write!(f, "{expr}")?;
                write_repeat(f, binders)
            }
        }
    }
}

/// Writes `target | c1, c2` for P and E.
fn write_conditioned(
    f: &mut Formatter<'_>,
    target: &Expr,
    conditions: &[Condition],
) -> fmt::Result {
    write!(f, "{target}")?;
    if !conditions.is_empty() {
        f.write_str(" | ")?;
        write_list(f, conditions)?;
    }
    Ok(())
}

impl Display for Estimand {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_estimand(f, self, 0)
    }
}

fn write_estimand(f: &mut Formatter<'_>, estimand: &Estimand, context: u8) -> fmt::Result {
    match &estimand.kind {
        EstimandKind::Probability { target, conditions } => {
            f.write_str("P(")?;
            write_conditioned(f, target, conditions)?;
            f.write_str(")")
        }
        EstimandKind::Expectation { target, conditions } => {
            f.write_str("E[")?;
            write_conditioned(f, target, conditions)?;
            f.write_str("]")
        }
        EstimandKind::Marginals { conditions } => {
            f.write_str("P(*")?;
            if !conditions.is_empty() {
                f.write_str(" | ")?;
                write_list(f, conditions)?;
            }
            f.write_str(")")
        }
        EstimandKind::Number(x) if *x < 0.0 => write!(f, "({})", format_real(*x)),
        EstimandKind::Number(x) => write!(f, "{}", format_real(*x)),
        EstimandKind::Neg(inner) => {
            f.write_str("-")?;
            write_estimand(f, inner, 8)
        }
        EstimandKind::Binary { op, left, right } => {
            let strength = op.precedence();
            let wrap = strength < context;
            if wrap {
                f.write_str("(")?;
            }
            write_estimand(f, left, strength)?;
            write!(f, " {} ", op.symbol())?;
            write_estimand(f, right, strength + 1)?;
            if wrap {
                f.write_str(")")?;
            }
            Ok(())
        }
    }
}

impl Display for Domain {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Domain::Set(values, _) => {
                f.write_str("{")?;
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{value}")?;
                }
                f.write_str("}")
            }
            Domain::Range(lo, hi, _) => write!(f, "{lo}..{hi}"),
            Domain::Bool(_) => f.write_str("bool"),
        }
    }
}

impl Display for Decide {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("decide ")?;
        for (i, stage) in self.stages.iter().enumerate() {
            if i > 0 {
                f.write_str(" then ")?;
            }
            if stage.joint {
                f.write_str("(")?;
                write_list(f, &stage.choices)?;
                f.write_str(")")?;
            } else {
                write_list(f, &stage.choices)?;
            }
            if !stage.given.is_empty() {
                f.write_str(" given ")?;
                write_list(f, &stage.given)?;
            }
        }
        write_repeat(f, &self.repeat)?;
        let sense = if self.maximize {
            "maximize"
        } else {
            "minimize"
        };
        write!(f, " {sense} {}", self.objective)
    }
}

impl Display for Choice {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_member(f, &self.name, &self.indices)?;
        if let Some(domain) = &self.domain {
            write!(f, " in {domain}")?;
        }
        Ok(())
    }
}

impl Display for Attribute {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Attribute::Noise { target, evidence } => {
                write!(f, "attribute {target} given ")?;
                write_list(f, evidence)
            }
            Attribute::Interventions { objective, players } => {
                write!(f, "attribute {objective} to do(")?;
                write_list(f, players)?;
                f.write_str(")")
            }
        }
    }
}

impl Display for Bandit {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("bandit ")?;
        write_member(f, &self.arm, &self.arm_indices)?;
        if let Some(domain) = &self.domain {
            write!(f, " in {domain}")?;
        }
        write!(
            f,
            " reward {} rounds {} runs {} policies ",
            self.reward, self.rounds, self.runs
        )?;
        let mut text = String::new();
        for (i, policy) in self.policies.iter().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            text.push_str(&policy.name.name);
            if let Some(p) = policy.parameter {
                let _ = write!(text, "({})", format_real(p));
            }
        }
        f.write_str(&text)
    }
}

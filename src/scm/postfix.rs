//! Expressions flattened into postfix order, for the samplers' hot loops.
//!
//! A [`Postfix`] is an [`Ex`] compiled once into a flat list of operations run on a small
//! stack, with the top of the stack held in a local: no recursion and no pointer chasing per
//! node. Every operation does the same floating-point arithmetic, in the same order, as
//! [`Ex::eval`], so a compiled expression's value is bit for bit the interpreter's. What is
//! rare in hot loops (`match`, and the nodes that evaluate to NaN) is left to the interpreter,
//! one operation calling [`Ex::eval`] on the subtree.
//!
//! **Invariant:** [`Postfix::eval`] returns exactly what [`Ex::eval`] returns on the
//! expression it was compiled from, and never panics.

use super::VarId;
use super::expr::{BinOp, Ex, Func, UnOp, binary, call1, call2, clamp, flag, truth};

/// One operation. Loads push the held top of the stack and hold their value; the others
/// combine the held value with what they pop.
#[derive(Clone, Debug)]
enum Op<'a> {
    Const(f64),
    /// A variable of the world being evaluated (`vals[base + var]`).
    Var(VarId),
    /// An absolute slot (`vals[slot]`).
    Slot(usize),
    Unary(UnOp),
    /// Pops the left operand; the held value is the right one.
    Binary(BinOp),
    /// The held value is the left operand, the constant the right one.
    BinaryConst(BinOp, f64),
    /// The held value is the left operand, the variable the right one.
    BinaryVar(BinOp, VarId),
    /// A one-argument function of the held value.
    Call1(Func),
    /// A two-argument function: pops the first argument; the held value is the second.
    Call2(Func),
    /// `clamp(x, lo, hi)`: pops `lo`, then `x`; the held value is `hi`.
    Clamp,
    /// Pops the condition of an `if` (the held value, replaced by the next one down) and
    /// jumps to the operation at this index when it is false.
    JumpUnless(usize),
    /// Jumps to the operation at this index.
    Jump(usize),
    /// A subtree evaluated by the interpreter.
    Interpret(&'a Ex),
}

/// An expression compiled into postfix operations (see the module documentation).
#[derive(Clone, Debug)]
pub struct Postfix<'a> {
    ops: Vec<Op<'a>>,
    /// The most values the stack holds while evaluating.
    depth: usize,
}

/// How many arguments a function takes.
fn arity(func: Func) -> usize {
    match func {
        Func::Pow | Func::Min | Func::Max => 2,
        Func::Clamp => 3,
        _ => 1,
    }
}

impl<'a> Postfix<'a> {
    /// Compiles `e`.
    pub fn compile(e: &'a Ex) -> Postfix<'a> {
        let mut ops = Vec::new();
        emit(e, &mut ops);
        let depth = depth_of(&ops);
        Postfix { ops, depth }
    }

    /// The most values the stack holds while evaluating: [`Postfix::eval`]'s `stack` should
    /// have that capacity, so that it never grows.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The value, reading variables from `vals[base + var]` (as [`Ex::eval`]). `stack` is
    /// scratch space.
    #[inline]
    pub fn eval(&self, vals: &[f64], base: usize, stack: &mut Vec<f64>) -> f64 {
        match self.ops.as_slice() {
            [Op::Const(c)] => return *c,
            [Op::Var(v)] => return vals[base + v],
            _ => {}
        }
        stack.clear();
        let mut held = f64::NAN;
        let mut pc = 0;
        while let Some(op) = self.ops.get(pc) {
            pc += 1;
            match *op {
                Op::Const(c) => {
                    stack.push(held);
                    held = c;
                }
                Op::Var(v) => {
                    stack.push(held);
                    held = vals[base + v];
                }
                Op::Slot(s) => {
                    stack.push(held);
                    held = vals[s];
                }
                Op::Unary(UnOp::Neg) => held = -held,
                Op::Unary(UnOp::Not) => held = flag(!truth(held)),
                Op::Binary(op) => {
                    let a = stack.pop().unwrap_or(f64::NAN);
                    held = binary(op, a, held);
                }
                Op::BinaryConst(op, c) => held = binary(op, held, c),
                Op::BinaryVar(op, v) => held = binary(op, held, vals[base + v]),
                Op::Call1(func) => held = call1(func, held),
                Op::Call2(func) => {
                    let x = stack.pop().unwrap_or(f64::NAN);
                    held = call2(func, x, held);
                }
                Op::Clamp => {
                    let hi = held;
                    let lo = stack.pop().unwrap_or(f64::NAN);
                    let x = stack.pop().unwrap_or(f64::NAN);
                    held = clamp(x, lo, hi);
                }
                Op::JumpUnless(to) => {
                    let condition = held;
                    held = stack.pop().unwrap_or(f64::NAN);
                    if !truth(condition) {
                        pc = to;
                    }
                }
                Op::Jump(to) => pc = to,
                Op::Interpret(e) => {
                    stack.push(held);
                    held = e.eval(vals, base);
                }
            }
        }
        held
    }
}

/// Appends the operations that compute `e` (one value more on the stack).
fn emit<'a>(e: &'a Ex, ops: &mut Vec<Op<'a>>) {
    match e {
        Ex::Const(c) => ops.push(Op::Const(*c)),
        Ex::Var(v) => ops.push(Op::Var(*v)),
        Ex::Slot(s) => ops.push(Op::Slot(*s)),
        Ex::Unary(op, a) => {
            emit(a, ops);
            ops.push(Op::Unary(*op));
        }
        Ex::Binary(op, a, b) => {
            // `a + b` is `b + a` bit for bit (and so for `*`; only a NaN's payload could
            // differ, and no NaN is ever shown): computing the compound side first keeps a
            // load out of the stack.
            let commutes = matches!(op, BinOp::Add | BinOp::Mul);
            match (with_operand(*op, a), with_operand(*op, b)) {
                (_, Some(right)) => {
                    emit(a, ops);
                    ops.push(right);
                }
                (Some(left), None) if commutes => {
                    emit(b, ops);
                    ops.push(left);
                }
                _ => {
                    emit(a, ops);
                    emit(b, ops);
                    ops.push(Op::Binary(*op));
                }
            }
        }
        Ex::If(parts) => {
            emit(&parts.0, ops);
            let branch = ops.len();
            ops.push(Op::JumpUnless(0));
            emit(&parts.1, ops);
            let skip = ops.len();
            ops.push(Op::Jump(0));
            ops[branch] = Op::JumpUnless(ops.len());
            emit(&parts.2, ops);
            ops[skip] = Op::Jump(ops.len());
        }
        Ex::Call(func, args) if args.len() == arity(*func) => {
            args.iter().for_each(|a| emit(a, ops));
            ops.push(match args.len() {
                1 => Op::Call1(*func),
                2 => Op::Call2(*func),
                _ => Op::Clamp,
            });
        }
        Ex::Call(..) | Ex::Match(_) | Ex::Counterfactual(..) | Ex::Param(_) => {
            ops.push(Op::Interpret(e))
        }
    }
}

/// The operation applying `op` with `e` as its right operand, when `e` is a constant or a
/// variable.
fn with_operand<'a>(op: BinOp, e: &Ex) -> Option<Op<'a>> {
    match *e {
        Ex::Const(c) => Some(Op::BinaryConst(op, c)),
        Ex::Var(v) => Some(Op::BinaryVar(op, v)),
        _ => None,
    }
}

/// The most values `ops` hold on the stack (counting the held value's pushes), following
/// both sides of every jump.
fn depth_of(ops: &[Op]) -> usize {
    let (mut depth, mut most) = (0usize, 0usize);
    for op in ops {
        match op {
            Op::Const(_) | Op::Var(_) | Op::Slot(_) | Op::Interpret(_) => depth += 1,
            Op::Binary(_) | Op::Call2(_) | Op::JumpUnless(_) => depth = depth.saturating_sub(1),
            Op::Clamp => depth = depth.saturating_sub(2),
            // An `if`'s branches each push one value; the jump skips the second, whose ops
            // follow and start from the same depth as the first's.
            Op::Jump(_) => depth = depth.saturating_sub(1),
            Op::Unary(_) | Op::BinaryConst(..) | Op::BinaryVar(..) | Op::Call1(_) => {}
        }
        most = most.max(depth);
    }
    most
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scm::expr::MatchEx;

    fn var(v: usize) -> Box<Ex> {
        Box::new(Ex::Var(v))
    }

    fn constant(c: f64) -> Box<Ex> {
        Box::new(Ex::Const(c))
    }

    /// Expressions covering every operation, compiled and interpreted on several inputs.
    #[test]
    fn compiled_values_are_the_interpreters_bit_for_bit() {
        let sigmoid = Ex::Call(
            Func::Sigmoid,
            vec![Ex::Binary(
                BinOp::Add,
                var(0),
                Box::new(Ex::Binary(BinOp::Mul, var(1), constant(-0.2112))),
            )],
        );
        let nested_if = Ex::If(Box::new((
            Ex::Binary(BinOp::Gt, var(0), constant(0.0)),
            Ex::If(Box::new((
                Ex::Binary(BinOp::And, var(1), var(2)),
                Ex::Call(Func::Clamp, vec![Ex::Var(0), Ex::Const(-1.0), Ex::Var(1)]),
                Ex::Call(Func::Min, vec![Ex::Var(0), Ex::Var(2)]),
            ))),
            Ex::Binary(
                BinOp::Pow,
                Box::new(Ex::Unary(UnOp::Neg, var(0))),
                Box::new(Ex::Binary(BinOp::Sub, var(1), var(2))),
            ),
        )));
        let matched = Ex::Binary(
            BinOp::Add,
            Box::new(Ex::Match(Box::new(MatchEx {
                scrutinees: vec![Ex::Var(2)],
                arms: vec![(vec![Some(1.0)], Ex::Var(0)), (vec![None], Ex::Const(4.0))],
            }))),
            Box::new(Ex::Call(Func::Log, vec![Ex::Slot(1)])),
        );
        let swapped = Ex::Binary(
            BinOp::Mul,
            constant(2.0),
            Box::new(Ex::Binary(
                BinOp::Add,
                var(2),
                Box::new(Ex::Unary(UnOp::Neg, var(1))),
            )),
        );
        let mut ops = vec![sigmoid, nested_if, matched, swapped];
        for op in [
            BinOp::Or,
            BinOp::Xor,
            BinOp::Eq,
            BinOp::Ne,
            BinOp::Lt,
            BinOp::Le,
            BinOp::Ge,
            BinOp::Div,
            BinOp::Rem,
        ] {
            ops.push(Ex::Binary(
                op,
                var(0),
                Box::new(Ex::Unary(UnOp::Not, var(1))),
            ));
        }
        for func in Func::NAMES {
            let (func, n) = Func::lookup(func).unwrap_or((Func::Abs, 1));
            let args = (0..n).map(|i| Ex::Var(i % 3)).collect();
            ops.push(Ex::Call(func, args));
        }
        ops.push(Ex::Call(Func::Exp, vec![]));
        let inputs = [
            [0.5, -1.25, 1.0],
            [-2.0, 0.0, 3.0],
            [0.0, f64::NAN, 1.0],
            [3.0, 2.0, 0.0],
            [f64::INFINITY, -0.1, 1.0],
        ];
        for e in &ops {
            let compiled = Postfix::compile(e);
            let mut stack = Vec::with_capacity(compiled.depth());
            for vals in &inputs {
                let (want, got) = (e.eval(vals, 0), compiled.eval(vals, 0, &mut stack));
                assert_eq!(want.to_bits(), got.to_bits(), "{e:?} on {vals:?}");
                assert!(stack.len() <= compiled.depth(), "{e:?}");
            }
        }
    }
}

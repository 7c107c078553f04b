//! Property: printing an AST gives source that parses back to the same AST (spans aside), on
//! generated programs that use every construct of the grammar.

use super::parse;
use crate::config::Config;
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "x",
        "y",
        "rain",
        "index",
        "match_dropped",
        "iffy",
        "do_it",
        "notice",
        "u_1",
        "_t",
    ])
    .prop_map(str::to_string)
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..1000).prop_map(|n| n.to_string()),
        (0u32..1000, 1u32..999).prop_map(|(a, b)| format!("{a}.{b}")),
        (1u32..9, -20i32..20).prop_map(|(a, e)| format!("{a}e{e}")),
        Just("true".to_string()),
        Just("false".to_string()),
        prop::sample::select(vec!["\"A\"", "\"low risk\"", "\"\""]).prop_map(str::to_string),
    ]
}

fn pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("_".to_string()),
        literal(),
        (0u32..50).prop_map(|n| format!("-{n}")),
    ]
}

fn intervention(expr: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        (name(), expr.clone()).prop_map(|(n, e)| format!("{n} = {e}")),
        (name(), expr.clone()).prop_map(|(n, e)| format!("{n} ~ Normal({e}, 1)")),
        (member(), expr, suffix()).prop_map(|(n, e, s)| format!("{n} = {e}{s}")),
    ]
}

/// A range bound: an integer, a name, or a small arithmetic of those.
fn bound() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..20).prop_map(|n| n.to_string()),
        name(),
        (name(), 1u32..5).prop_map(|(n, k)| format!("{n} - {k}")),
        (1u32..5, name()).prop_map(|(k, n)| format!("{k} * {n}")),
    ]
}

/// ` for i in a..b`, possibly twice.
fn suffix() -> impl Strategy<Value = String> {
    prop::collection::vec((name(), bound(), bound()), 1..3).prop_map(|binders| {
        binders
            .iter()
            .map(|(n, a, b)| format!(" for {n} in {a}..{b}"))
            .collect()
    })
}

/// A member as declared or set: `x[i]`, `x[t - 1][2]`.
fn member() -> impl Strategy<Value = String> {
    (name(), prop::collection::vec(bound(), 1..3)).prop_map(|(n, indices)| {
        let brackets: String = indices.iter().map(|i| format!("[{i}]")).collect();
        format!("{n}{brackets}")
    })
}

fn expr() -> BoxedStrategy<String> {
    let leaf = prop_oneof![literal(), name()];
    leaf.prop_recursive(4, 40, 4, |inner| {
        let binary = prop::sample::select(vec![
            "or", "xor", "and", "==", "!=", "<=", ">=", "<", ">", "=", "+", "-", "*", "/", "%", "^",
        ]);
        prop_oneof![
            (inner.clone(), binary, inner.clone()).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
            inner.clone().prop_map(|a| format!("-{a}")),
            inner.clone().prop_map(|a| format!("not {a}")),
            inner.clone().prop_map(|a| format!("({a})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("if {c} then {a} else {b}")),
            (
                inner.clone(),
                prop::collection::vec((pattern(), inner.clone()), 1..4)
            )
                .prop_map(|(s, arms)| {
                    let arms: Vec<String> =
                        arms.iter().map(|(p, e)| format!("{p} => {e}")).collect();
                    format!("match {s} {{ {} }}", arms.join(", "))
                }),
            (
                inner.clone(),
                inner.clone(),
                prop::collection::vec(((pattern(), pattern()), inner.clone()), 1..3)
            )
                .prop_map(|(a, b, arms)| {
                    let arms: Vec<String> = arms
                        .iter()
                        .map(|((p, q), e)| format!("({p}, {q}) => {e}"))
                        .collect();
                    format!("match ({a}, {b}) {{ {} }}", arms.join(", "))
                }),
            (
                prop::sample::select(vec!["Normal", "abs", "exp", "Categorical", "max"]),
                prop::collection::vec(inner.clone(), 0..3)
            )
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("Categorical(\"a\": {a}, \"b\": {b})")),
            (name(), intervention(inner.clone()).boxed())
                .prop_map(|(n, i)| format!("{n}[do({i})]")),
            (name(), intervention(inner.clone()).boxed()).prop_map(|(n, i)| format!("{n}[{i}]")),
            member(),
            (member(), intervention(inner.clone()).boxed())
                .prop_map(|(m, i)| format!("{m}[do({i})]")),
            (
                prop::sample::select(vec!["sum", "mean", "count", "all", "any", "min", "max"]),
                inner,
                suffix()
            )
                .prop_map(|(op, body, s)| format!("{op}({body}{s})")),
        ]
    })
    .boxed()
}

fn distribution() -> BoxedStrategy<String> {
    let call = prop_oneof![
        (expr(), expr()).prop_map(|(a, b)| format!("Normal({a}, {b})")),
        expr().prop_map(|p| format!("Bernoulli({p})")),
        (expr(), expr()).prop_map(|(a, b)| format!("Categorical(\"a\": {a}, \"b\": {b})")),
        Just("Poisson(3)".to_string()),
    ];
    call.prop_recursive(2, 6, 3, |inner| {
        prop_oneof![
            (expr(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("if {c} then {a} else {b}")),
            (expr(), prop::collection::vec((pattern(), inner), 1..3)).prop_map(|(s, arms)| {
                let arms: Vec<String> = arms.iter().map(|(p, d)| format!("{p} => {d}")).collect();
                format!("match {s} {{ {} }}", arms.join(", "))
            }),
        ]
    })
    .boxed()
}

fn conditions() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            expr(),
            (expr(), suffix()).prop_map(|(e, s)| format!("{e}{s}")),
            prop::collection::vec(intervention(expr()), 1..3)
                .prop_map(|i| format!("do({})", i.join(", "))),
        ],
        0..3,
    )
    .prop_map(|c| {
        if c.is_empty() {
            String::new()
        } else {
            format!(" | {}", c.join(", "))
        }
    })
}

fn estimand() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        (expr(), conditions()).prop_map(|(e, c)| format!("P({e}{c})")),
        (expr(), conditions()).prop_map(|(e, c)| format!("E[{e}{c}]")),
    ];
    leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/"]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
            inner.clone().prop_map(|a| format!("-({a})")),
            (inner, 1u32..10).prop_map(|(a, n)| format!("{n} * {a}")),
        ]
    })
    .boxed()
}

fn domain() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("bool".to_string()),
        (-5i32..5, 0i32..5).prop_map(|(a, w)| format!("{a}..{}", a + w)),
        prop::collection::vec(literal(), 1..4).prop_map(|v| format!("{{{}}}", v.join(", "))),
    ]
}

fn statement() -> impl Strategy<Value = String> {
    let stage = (
        prop_oneof![name(), member()],
        prop::option::of(domain()),
        prop::option::of(prop_oneof![name(), member()]),
    )
        .prop_map(|(n, d, g)| {
            let mut s = n;
            if let Some(d) = d {
                s = format!("{s} in {d}");
            }
            if let Some(g) = g {
                s = format!("{s} given {g}");
            }
            s
        });
    prop_oneof![
        (name(), expr()).prop_map(|(n, e)| format!("let {n} = {e}")),
        (name(), distribution()).prop_map(|(n, d)| format!("{n} ~ {d}")),
        (name(), expr()).prop_map(|(n, e)| format!("{n} := {e}")),
        (name(), distribution()).prop_map(|(n, d)| format!("exogenous {n} ~ {d}")),
        (name(), domain()).prop_map(|(n, d)| format!("decision {n} in {d}")),
        (name(), expr()).prop_map(|(n, e)| format!("set {n} = {e}")),
        estimand().prop_map(|e| format!("query {e}")),
        (name(), estimand()).prop_map(|(n, e)| format!("query {n} = {e}")),
        (
            prop::collection::vec(stage, 1..3),
            prop::option::of(suffix()),
            prop::bool::ANY,
            estimand(),
            prop::option::of(name())
        )
            .prop_map(|(stages, repeat, max, e, g)| {
                let sense = if max { "maximize" } else { "minimize" };
                let given = g.map(|g| format!(" given {g}")).unwrap_or_default();
                let repeat = repeat.unwrap_or_default();
                format!(
                    "decide {}{repeat} {sense} {e}{given}",
                    stages.join(" then ")
                )
            }),
        (member(), distribution()).prop_map(|(n, d)| format!("{n} ~ {d}")),
        (member(), domain()).prop_map(|(n, d)| format!("decision {n} in {d}")),
        (
            name(),
            bound(),
            bound(),
            prop::collection::vec(
                prop_oneof![
                    (member(), distribution()).prop_map(|(n, d)| format!("{n} ~ {d}")),
                    (member(), expr()).prop_map(|(n, e)| format!("{n} := {e}")),
                    (name(), bound(), bound(), member(), expr()).prop_map(|(i, a, b, m, e)| {
                        format!("for {i} in {a}..{b} {{\n {m} := {e}\n}}")
                    }),
                ],
                0..3
            )
        )
            .prop_map(|(i, a, b, body)| format!("for {i} in {a}..{b} {{\n{}\n}}", body.join("\n"))),
        (name(), domain(), expr(), 1u32..100, 1u32..10).prop_map(|(n, d, r, a, b)| format!(
            "bandit {n} in {d} reward {r} rounds {a} runs {b} policies greedy, epsilon_greedy(0.1)"
        )),
        // Identification (LANGUAGE.md §13): edges, data, identify.
        (name(), name(), name(), prop::bool::ANY).prop_map(|(a, b, c, bi)| {
            let arrow = if bi { "<->" } else { "->" };
            format!("{a} -> {{{b}, {c}}} {arrow} {a}")
        }),
        name().prop_map(|n| format!("data \"{n}.csv\"")),
        (name(), name(), literal(), prop::option::of(name())).prop_map(|(y, x, v, z)| {
            let given = z.map(|z| format!(", {z}")).unwrap_or_default();
            format!("identify P({y}, {x} = {v} | do({x}, {y} = {v}){given})")
        }),
    ]
}

/// The AST's debug form without its spans.
fn shape(program: &crate::ast::Program) -> String {
    let text = format!("{program:?}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("Span { source: ") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find('}').map_or(rest.len(), |i| at + i + 1);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn printing_then_parsing_is_the_identity(statements in prop::collection::vec(statement(), 1..6)) {
        let source = statements.join("\n");
        let config = Config::default();
        let first = parse(&source, &config)
            .map_err(|d| TestCaseError::fail(format!("generated source does not parse: {d:?}\n{source}")))?;
        let printed = first.to_string();
        let second = parse(&printed, &config)
            .map_err(|d| TestCaseError::fail(format!("printed source does not parse: {d:?}\n{printed}")))?;
        prop_assert_eq!(shape(&first), shape(&second), "source:\n{}\nprinted:\n{}", source, printed);
        prop_assert_eq!(printed.clone(), second.to_string());
    }
}

#[test]
fn nested_counterfactuals_print_and_parse_back() {
    let source = "query nde = P(y[do(x = true, m = m[do(x = false)])] | do(m = m[x=true]))\n\
                  query E[y[do(m2 = m2[do(m1 = m1[do(x = 1)])])]]";
    let config = Config::default();
    let first = parse(source, &config).unwrap();
    let printed = first.to_string();
    assert!(
        printed.contains("y[do(x = true, m = m[do(x = false)])]")
            && printed.contains("y[do(m2 = m2[do(m1 = m1[do(x = 1)])])]"),
        "{printed}"
    );
    let second = parse(&printed, &config).unwrap();
    assert_eq!(shape(&first), shape(&second));
    assert_eq!(printed, second.to_string());
}

/// The grammar reserves exactly [`super::KEYWORDS`]: each is refused as a name, and a name that
/// only begins, ends or shares its first letter with one is accepted (the grammar compares a
/// name with the keywords by first letter).
#[test]
fn the_grammar_reserves_exactly_the_keywords() {
    use super::{KEYWORDS, Rule, WhatifParser};
    use pest::Parser;
    let name = |text: &str| {
        WhatifParser::parse(Rule::ident, text)
            .is_ok_and(|mut pairs| pairs.next().is_some_and(|p| p.as_str() == text))
    };
    for word in KEYWORDS {
        assert!(!name(word), "`{word}` parsed as a name");
        let first = &word[..1];
        for text in [
            format!("{word}x"),
            format!("{word}_"),
            format!("{word}1"),
            format!("z{word}"),
            word.to_uppercase(),
            first.to_string(),
            format!("{first}zz"),
        ] {
            assert!(name(&text), "`{text}` is not a name");
        }
    }
    for letter in ('a'..='z').chain('A'..='Z') {
        assert!(name(&letter.to_string()), "`{letter}` is not a name");
    }
}

/// The texts the grammars are compared on: the examples, the test models and the fuzz
/// corpora where present (each directory read if it exists; none is required).
pub(super) fn corpus_texts() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    for dir in [
        "examples",
        "tests/data/ok",
        "tests/data/err",
        "tests/data/fuzz",
        "fuzz/corpus/parse_check",
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        texts.extend(
            paths
                .iter()
                .filter_map(|p| std::fs::read(p).ok())
                .filter_map(|bytes| String::from_utf8(bytes).ok()),
        );
    }
    texts
}

/// Whether the parser whatif parses with (grammar/fast.pest, on the text with its comments
/// blanked) and the one that describes syntax errors (grammar/detailed.pest, on the text as
/// written) accept `text` alike; they must, or a syntax error would have no description.
fn grammars_agree(text: &str) -> bool {
    use super::{DetailedParser, Rule, WhatifParser, blank_comments, detailed};
    use pest::Parser;
    let fast = WhatifParser::parse(Rule::program, &blank_comments(text)).is_ok();
    let detailed = DetailedParser::parse(detailed::Rule::program, text).is_ok();
    fast == detailed
}

/// The two grammars accept the same texts: every corpus text, every prefix of each example
/// ending at a line break or a token boundary (most of them syntax errors), and texts whose
/// comments and labels hold each other's characters.
#[test]
fn the_fast_and_detailed_grammars_accept_the_same_texts() {
    let texts = corpus_texts();
    assert!(texts.len() > 50, "only {} corpus texts found", texts.len());
    for text in &texts {
        assert!(grammars_agree(text), "the grammars disagree on:\n{text}");
    }
    let mut prefixes = 0;
    for text in texts.iter().take(60) {
        for (i, c) in text.char_indices() {
            if matches!(
                c,
                '\n' | ' ' | '(' | ')' | '[' | ']' | ',' | '#' | '"' | '/'
            ) {
                let prefix = &text[..i];
                assert!(
                    grammars_agree(prefix),
                    "the grammars disagree on:\n{prefix}"
                );
                prefixes += 1;
            }
        }
    }
    assert!(prefixes > 1000, "only {prefixes} prefixes");
    for text in [
        "x ~ Normal(0, 1) # a comment\ny := x // another \"quoted\"\n",
        "w ~ Categorical(\"a # not a comment\": 0.5, \"b // nor this\": 0.5)\nquery P(w = \"a # not a comment\")",
        "x ~ Bernoulli(0.5)\ny := x #\"\nquery P(y)",
        "x ~ Bernoulli(0.5)\ny := \"x\n# \"\nquery P(y)",
        "s[i] ~ Normal(0, 1) for i in 1..2",
        "for i in 1..3 { s[ # c\n i ] ~ Normal(0, 1) }",
        "x ~ Normal(0, 1)\ny := x //",
        "x ~ Normal(0, 1)\ny := x / / 2",
        "x ~ Normal(0, 1)\ny := x /# 2\n 2",
        "x ~ Normal(0, 1)\ny := 1.# c\n5",
        "x ~ Normal(0, 1)\ny := x ~ 1",
        "x ~ Normal(0, 1)\ny :=",
        "x ~",
        "x := - not - 1 <= 2 == true",
        "query E[-x ^ 2 % 3]",
        "x ~ Normal(0, 1)\nquery P(x > 0 and x < 1 or x xor not x)",
    ] {
        assert!(grammars_agree(text), "the grammars disagree on:\n{text}");
    }
}

/// Comments become spaces, byte for byte; a `#` or `//` inside a label is not a comment, and
/// a `"` inside a comment opens no label.
#[test]
fn comments_are_blanked_in_place() {
    use super::blank_comments;
    let text = "x ~ Normal(0, 1) # é \"\ny := \"a # b // c\" // d\nz := x/2";
    let blanked = blank_comments(text);
    assert_eq!(blanked.len(), text.len());
    assert_eq!(
        blanked,
        "x ~ Normal(0, 1)       \ny := \"a # b // c\"     \nz := x/2"
    );
    assert!(matches!(
        blank_comments("x := 1"),
        std::borrow::Cow::Borrowed(_)
    ));
}

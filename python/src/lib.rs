//! The native half of the Python package: `whatif._whatif`, a thin PyO3 layer over the
//! library's public API (`whatif::Model`, `whatif::Options`, `whatif::Error`).
//!
//! Answers cross the boundary as the JSON of `whatif run --json` (one object per answer), which
//! the pure-Python half (`python/whatif/`) turns into result objects; errors cross as the parts
//! of a `whatif::Error`, which `whatif._errors` turns into the exception of the code's family.
//!
//! Every call that parses, checks or answers releases the GIL. A question runs on a worker
//! thread while the calling thread watches Python's signal handlers every 50 ms: a
//! KeyboardInterrupt cancels the call through its own `CancelToken` and is re-raised once the
//! engines have stopped (at their next chunk of samples).
//!
//! **Invariant:** nothing here reaches past the library's public API.

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, mpsc};
use std::time::Duration;

/// How often a running question looks for a KeyboardInterrupt.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Stack of the thread a question runs on: parsing and checking recurse on the input's nesting
/// (bounded by the library's limits), as they do on the command line's worker thread.
const WORKER_STACK: usize = 256 << 20;

/// Most exact answers a model keeps for questions asked again (then it starts afresh).
const KEPT_EXACT_ANSWERS: usize = 1024;

/// A parsed and checked model (`whatif.Model` wraps it).
#[pyclass(frozen, module = "whatif._whatif", name = "Model")]
struct PyModel {
    model: whatif::Model,
    /// The exact answers given, as JSON, by question and options: a model never changes (a fit
    /// makes a new one) and an exact answer depends on nothing else, so a question asked again
    /// is answered by a lookup, without a worker thread.
    exact_answers: Mutex<HashMap<AnswerKey, String>>,
}

/// A question with the options that can change its answer (`threads` cannot).
#[derive(PartialEq, Eq, Hash)]
struct AnswerKey {
    question: String,
    samples: Option<u64>,
    seed: Option<u64>,
    method: Option<String>,
}

impl From<whatif::Model> for PyModel {
    fn from(model: whatif::Model) -> PyModel {
        PyModel {
            model,
            exact_answers: Mutex::new(HashMap::new()),
        }
    }
}

#[pymethods]
impl PyModel {
    /// Parses and checks a model given as text; `name` is what its diagnostics call it.
    #[new]
    #[pyo3(signature = (source, name = None))]
    fn new(py: Python<'_>, source: &str, name: Option<&str>) -> PyResult<PyModel> {
        let name = name.unwrap_or("<model>");
        let parsed = py.detach(|| whatif::Model::parse_named(name, source));
        parsed.map(PyModel::from).map_err(|e| to_py_err(py, &e))
    }

    /// Reads, parses and checks a `.scm` file.
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<PyModel> {
        let read = py.detach(|| whatif::Model::from_file(&path));
        read.map(PyModel::from).map_err(|e| to_py_err(py, &e))
    }

    /// Converts a BIF Bayesian network; returns the model and the conversion's warnings (as
    /// the parts of diagnostics).
    #[staticmethod]
    fn from_bif<'py>(
        py: Python<'py>,
        name: &str,
        text: &str,
    ) -> PyResult<(PyModel, Bound<'py, PyList>)> {
        let imported = py.detach(|| whatif::Model::from_bif(name, text));
        let (model, warnings) = imported.map_err(|e| to_py_err(py, &e))?;
        let parts = PyList::empty(py);
        for d in &warnings {
            parts.append(diagnostic_dict(py, d)?)?;
        }
        Ok((PyModel::from(model), parts))
    }

    /// What diagnostics call this model: its file name, or `<model>`.
    #[getter]
    fn name(&self) -> &str {
        self.model.name()
    }

    /// The model's source text.
    #[getter]
    fn source(&self) -> &str {
        self.model.source()
    }

    /// The variables, in declaration order.
    #[getter]
    fn variables(&self) -> Vec<String> {
        self.model.variables().map(str::to_string).collect()
    }

    /// The source text of each question in the file, in order.
    #[getter]
    fn questions(&self) -> Vec<String> {
        self.model.questions().map(str::to_string).collect()
    }

    /// The model with its `?` parameters fitted (`whatif::Model::fit`) to the CSV file at
    /// `path` or to `columns`, named columns of cell texts (as CSV cells are read).
    #[pyo3(signature = (*, path = None, columns = None))]
    fn fit(
        &self,
        py: Python<'_>,
        path: Option<PathBuf>,
        columns: Option<Vec<(String, Vec<String>)>>,
    ) -> PyResult<PyModel> {
        let data = match (path, columns) {
            (Some(path), None) => whatif::Data::from_path(path),
            (None, Some(columns)) => whatif::Data::from_columns(columns),
            _ => {
                return Err(PyValueError::new_err(
                    "fit takes a path or columns, one of the two",
                ));
            }
        };
        let model = &self.model;
        py.detach(|| model.fit(&data))
            .map(PyModel::from)
            .map_err(|e| to_py_err(py, &e))
    }

    /// What the fit did (rows, estimates, standard errors) as JSON, for a fitted model.
    #[getter]
    fn fit_summary_json(&self) -> PyResult<Option<String>> {
        self.model.fit_summary().map(json).transpose()
    }

    /// The model's text with every `?` replaced by its estimate, for a fitted model.
    #[getter]
    fn fitted_source(&self) -> Option<String> {
        self.model.fitted_source()
    }

    /// The causal graph as Graphviz DOT.
    fn graph(&self) -> String {
        self.model.graph()
    }

    /// Answers one question; returns the answer's `--json` object as text.
    #[pyo3(signature = (question, *, samples = None, seed = None, method = None, threads = None))]
    fn ask_json(
        &self,
        py: Python<'_>,
        question: &str,
        samples: Option<u64>,
        seed: Option<u64>,
        method: Option<&str>,
        threads: Option<usize>,
    ) -> PyResult<String> {
        let key = AnswerKey {
            question: question.trim().to_string(),
            samples,
            seed,
            method: method.map(str::to_string),
        };
        if let Some(kept) = self.kept_answer(&key) {
            return Ok(kept);
        }
        let options = options(samples, seed, method, threads)?;
        let model = &self.model;
        let answer = interruptible(py, &options, |options| model.ask(question, options))?;
        let text = json(&answer)?;
        if answer.method == whatif::MethodUsed::Exact {
            self.keep_answer(key, &text);
        }
        Ok(text)
    }

    /// Answers every question of the file; returns a JSON list of `--json` objects.
    #[pyo3(signature = (*, samples = None, seed = None, method = None, threads = None))]
    fn run_json(
        &self,
        py: Python<'_>,
        samples: Option<u64>,
        seed: Option<u64>,
        method: Option<&str>,
        threads: Option<usize>,
    ) -> PyResult<String> {
        let options = options(samples, seed, method, threads)?;
        let model = &self.model;
        // The library answers every statement on its own; Python raises the first error (the
        // exception carries its code and line), as `Model.run` documents.
        let answers = interruptible(py, &options, |options| {
            model
                .run(options)
                .into_iter()
                .collect::<Result<Vec<_>, _>>()
        })?;
        json(&answers)
    }

    /// Prepares `question` for sharding (`whatif::Model::shard`); returns the sharding's bytes.
    #[pyo3(signature = (question, *, samples = None, seed = None, method = None, threads = None))]
    fn shard<'py>(
        &self,
        py: Python<'py>,
        question: &str,
        samples: Option<u64>,
        seed: Option<u64>,
        method: Option<&str>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let options = options(samples, seed, method, threads)?;
        let model = &self.model;
        let sharding = interruptible(py, &options, |options| model.shard(question, options))?;
        Ok(PyBytes::new(py, &sharding.to_bytes()))
    }

    /// Runs blocks `start..end` of a sharding (`whatif::Model::partial`); returns the
    /// partial's bytes.
    #[pyo3(signature = (sharding, start, end, *, threads = None))]
    fn partial<'py>(
        &self,
        py: Python<'py>,
        sharding: &[u8],
        start: u64,
        end: u64,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let sharding = whatif::Sharding::from_bytes(sharding).map_err(|e| to_py_err(py, &e))?;
        let options = options(None, None, None, threads)?;
        let model = &self.model;
        let partial = interruptible(py, &options, |options| {
            model.partial(&sharding, start..end, options)
        })?;
        Ok(PyBytes::new(py, &partial.to_bytes()))
    }

    /// Finishes a sharding from the partial of all its blocks: `("answer", json)`, or
    /// `("again", sharding bytes)` for a second pass over every block.
    fn finish<'py>(
        &self,
        py: Python<'py>,
        sharding: &[u8],
        partial: &[u8],
    ) -> PyResult<(&'static str, Bound<'py, PyAny>)> {
        let sharding = whatif::Sharding::from_bytes(sharding).map_err(|e| to_py_err(py, &e))?;
        let partial = whatif::Partial::from_bytes(partial).map_err(|e| to_py_err(py, &e))?;
        let model = &self.model;
        let finished = interruptible(py, &whatif::Options::new(), |_| {
            model.finish(&sharding, partial)
        })?;
        match finished {
            whatif::Finish::Answer(answer) => {
                Ok(("answer", PyString::new(py, &json(&answer)?).into_any()))
            }
            whatif::Finish::Again(next) => {
                Ok(("again", PyBytes::new(py, &next.to_bytes()).into_any()))
            }
            _ => Err(PyRuntimeError::new_err("an unknown kind of finish")),
        }
    }
}

impl PyModel {
    /// The kept exact answer to `key`, if the question was asked before with these options.
    fn kept_answer(&self, key: &AnswerKey) -> Option<String> {
        // A poisoned lock only means a panic elsewhere: the map itself is whole.
        let kept = self.exact_answers.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(key).cloned()
    }

    fn keep_answer(&self, key: AnswerKey, text: &str) {
        let mut kept = self.exact_answers.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= KEPT_EXACT_ANSWERS {
            kept.clear();
        }
        kept.insert(key, text.to_string());
    }
}

/// The number of units of a sharding's phase (0 when the question was answered whole) and
/// what they are: `"blocks"` of samples or a bandit's `"runs"`.
#[pyfunction]
fn sharding_blocks(py: Python<'_>, sharding: &[u8]) -> PyResult<(u64, &'static str)> {
    whatif::Sharding::from_bytes(sharding)
        .map(|s| {
            let unit = match s.unit() {
                whatif::Unit::Runs => "runs",
                _ => "blocks",
            };
            (s.blocks(), unit)
        })
        .map_err(|e| to_py_err(py, &e))
}

/// Merges partials given in block order into one (`whatif::Partial::merge`).
#[pyfunction]
fn merge_partials<'py>(py: Python<'py>, partials: Vec<Vec<u8>>) -> PyResult<Bound<'py, PyBytes>> {
    let mut merged: Option<whatif::Partial> = None;
    for bytes in &partials {
        let next = whatif::Partial::from_bytes(bytes).map_err(|e| to_py_err(py, &e))?;
        merged = Some(match merged {
            None => next,
            Some(m) => m.merge(next).map_err(|e| to_py_err(py, &e))?,
        });
    }
    let merged = merged.ok_or_else(|| PyValueError::new_err("no partials to merge"))?;
    Ok(PyBytes::new(py, &merged.to_bytes()))
}

/// The library's options from the keyword arguments; an unknown method is a ValueError.
fn options(
    samples: Option<u64>,
    seed: Option<u64>,
    method: Option<&str>,
    threads: Option<usize>,
) -> PyResult<whatif::Options> {
    let mut options = whatif::Options::new();
    if let Some(n) = samples {
        if n == 0 {
            return Err(PyValueError::new_err("samples must be at least 1"));
        }
        options = options.samples(n);
    }
    if let Some(seed) = seed {
        options = options.seed(seed);
    }
    if let Some(n) = threads {
        if n == 0 {
            return Err(PyValueError::new_err("threads must be at least 1"));
        }
        options = options.threads(n);
    }
    if let Some(method) = method {
        options = options.method(parse_method(method)?);
    }
    Ok(options)
}

/// `"auto"`, `"is"`, `"exact"` or `"smc"`, as `--method` spells them.
fn parse_method(method: &str) -> PyResult<whatif::Method> {
    match method {
        "auto" => Ok(whatif::Method::Auto),
        "is" => Ok(whatif::Method::Is),
        "exact" => Ok(whatif::Method::Exact),
        "smc" => Ok(whatif::Method::Smc),
        other => Err(PyValueError::new_err(format!(
            "unknown method {other:?}: expected \"auto\", \"is\", \"exact\" or \"smc\""
        ))),
    }
}

/// Runs `call` with the GIL released on a worker thread, while this thread polls Python's
/// signal handlers: an exception from them (KeyboardInterrupt) cancels the call through a
/// token of its own, waits for it to stop, and is raised.
fn interruptible<T: Send>(
    py: Python<'_>,
    options: &whatif::Options,
    call: impl FnOnce(&whatif::Options) -> Result<T, whatif::Error> + Send,
) -> PyResult<T> {
    let token = whatif::CancelToken::new();
    let options = options.clone().cancel_token(token.clone());
    let outcome: Result<Result<T, whatif::Error>, PyErr> = py.detach(|| {
        std::thread::scope(|scope| {
            let (done, finished) = mpsc::channel();
            let worker = std::thread::Builder::new()
                .name("whatif-question".to_string())
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, move || {
                    let result = call(&options);
                    // The receiver outlives the scope's threads; a send cannot fail.
                    let _ = done.send(());
                    result
                })
                .map_err(|e| PyRuntimeError::new_err(format!("cannot start a thread: {e}")))?;
            let mut interrupt = None;
            while let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(SIGNAL_POLL) {
                if interrupt.is_none()
                    && let Err(e) = Python::attach(|py| py.check_signals())
                {
                    token.cancel();
                    interrupt = Some(e);
                }
            }
            let result = worker
                .join()
                .map_err(|_| PyRuntimeError::new_err("whatif panicked: this is a bug"))?;
            match interrupt {
                Some(e) => Err(e),
                None => Ok(result),
            }
        })
    });
    outcome?.map_err(|e| to_py_err(py, &e))
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> PyResult<String> {
    serde_json::to_string(value)
        .map_err(|e| PyRuntimeError::new_err(format!("cannot write an answer as JSON: {e}")))
}

/// The exception for a library error: `whatif._errors.from_parts` picks the class of the first
/// diagnostic's code family.
fn to_py_err(py: Python<'_>, error: &whatif::Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let diagnostics = PyList::empty(py);
        for d in error.diagnostics() {
            diagnostics.append(diagnostic_dict(py, d)?)?;
        }
        let exception = py
            .import("whatif._errors")?
            .getattr("from_parts")?
            .call1((for_python(&error.to_string()), diagnostics))?;
        Ok(PyErr::from_value(exception))
    };
    build().unwrap_or_else(|e| e)
}

/// `text` with the library's names for options (`Method::Is`, `Options::samples`) replaced by
/// the keyword arguments a Python user passes.
fn for_python(text: &str) -> String {
    const OPTIONS: [(&str, &str); 4] = [
        ("`Method::Is`", "`method=\"is\"`"),
        ("`Method::Exact`", "`method=\"exact\"`"),
        ("`Method::Auto`", "`method=\"auto\"`"),
        ("`Options::samples`", "`samples=`"),
    ];
    OPTIONS
        .iter()
        .fold(text.to_string(), |out, (library, python)| {
            out.replace(library, python)
        })
}

/// One diagnostic's parts as a dict: severity, code, message, file, line, column, help.
fn diagnostic_dict<'py>(py: Python<'py>, d: &whatif::Diagnostic) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    let severity = match d.severity {
        whatif::Severity::Warning => "warning",
        _ => "error",
    };
    dict.set_item("severity", severity)?;
    dict.set_item("code", d.code.map(|c| c.to_string()))?;
    dict.set_item("message", for_python(&d.message))?;
    dict.set_item("file", &d.file)?;
    dict.set_item("line", d.line)?;
    dict.set_item("column", d.column)?;
    dict.set_item("help", d.help.as_deref().map(for_python))?;
    Ok(dict)
}

/// The native module.
#[pymodule]
fn _whatif(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyModel>()?;
    m.add_function(wrap_pyfunction!(sharding_blocks, m)?)?;
    m.add_function(wrap_pyfunction!(merge_partials, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

"""Errors: the exception of the code's family, with code, location and the rendered text."""

import pickle

import pytest

import whatif


def test_syntax_error_in_model():
    with pytest.raises(whatif.ParseError) as caught:
        whatif.Model("x ~ Normal(0, 1)\ny ~ Normal(x, * 1)")
    e = caught.value
    assert isinstance(e, whatif.WhatifError)
    assert (e.code, e.line, e.column) == ("E001", 2, 15)
    assert str(e).startswith("<model>:2:15: error[E001]")


def test_unknown_name_in_question_points_into_the_question(sprinkler):
    with pytest.raises(whatif.ModelError) as caught:
        sprinkler.ask("P(rian | wet)")
    e = caught.value
    assert (e.code, e.line, e.column, e.file) == ("E002", 1, 3, "<question>")
    assert e.message == "unknown variable `rian`; did you mean `rain`?"
    assert "<question>:1:3: error[E002]" in str(e)
    assert "^^^^" in str(e)


def test_cycle_is_a_model_error():
    with pytest.raises(whatif.ModelError) as caught:
        whatif.Model("a := b\nb := a")
    assert caught.value.code == "E004"


def test_exact_on_a_real_variable_is_a_method_error():
    model = whatif.Model("x ~ Normal(0, 1)\ny := exp(x)")
    with pytest.raises(whatif.MethodError) as caught:
        model.ask("P(y > 2)", method="exact")
    assert caught.value.code == "E010"
    # Phrased for a Python caller: the keyword argument, not the Rust library's enum.
    assert caught.value.message.startswith('`method="exact"` needs finite domains')
    assert 'use `method="is"`' in caught.value.help
    assert "Method::" not in str(caught.value)


def test_invalid_intervention_is_a_question_error():
    model = whatif.Model("exogenous u ~ Normal(0, 1)\ny := u")
    with pytest.raises(whatif.QuestionError) as caught:
        model.ask("E[y | do(u = 1)]")
    assert caught.value.code == "E008"


def test_parameter_out_of_range_at_run_time():
    model = whatif.Model("x ~ Normal(0, 1)\ny ~ Bernoulli(x)")
    with pytest.raises(whatif.EvaluationError) as caught:
        model.ask("P(y)", method="is", samples=1000)
    assert caught.value.code == "E006"
    assert caught.value.line == 2


def test_missing_file():
    with pytest.raises(whatif.WhatifError) as caught:
        whatif.Model.from_file("/nonexistent/model.scm")
    e = caught.value
    assert type(e) is whatif.WhatifError
    assert e.code is None and e.line is None
    assert "cannot read /nonexistent/model.scm" in str(e)


def test_wrong_keyword_argument_names_it(sprinkler):
    with pytest.raises(TypeError, match="sample"):
        sprinkler.ask("P(rain)", sample=10)
    with pytest.raises(TypeError, match="seeds"):
        sprinkler.run(seeds=1)


def test_bad_option_values(sprinkler):
    with pytest.raises(ValueError, match='unknown method "mcmc"'):
        sprinkler.ask("P(rain)", method="mcmc")
    with pytest.raises(ValueError, match="samples must be at least 1"):
        sprinkler.ask("P(rain)", samples=0)
    with pytest.raises(ValueError, match="threads must be at least 1"):
        sprinkler.ask("P(rain)", threads=0)
    with pytest.raises(OverflowError):
        sprinkler.ask("P(rain)", samples=-5)
    with pytest.raises(TypeError):
        sprinkler.ask("P(rain)", samples=1.5)


def test_two_questions_at_once(sprinkler):
    with pytest.raises(whatif.WhatifError, match="expected one question"):
        sprinkler.ask("P(rain)\nquery P(wet)")


def test_errors_pickle_with_their_parts(sprinkler):
    with pytest.raises(whatif.WhatifError) as caught:
        sprinkler.ask("P(rian)")
    again = pickle.loads(pickle.dumps(caught.value))
    assert type(again) is whatif.ModelError
    assert (again.code, again.line, again.column) == ("E002", 1, 3)
    assert str(again) == str(caught.value)


def test_missing_data_file_is_a_data_error(tmp_path):
    path = tmp_path / "model.scm"
    path.write_text('data "nowhere.csv"\nx -> y\nquery P(y | do(x = true))\n')
    with pytest.raises(whatif.WhatifError) as caught:
        whatif.Model.from_file(path).run()
    assert isinstance(caught.value, whatif.DataError), caught.value
    assert caught.value.code == "E013"

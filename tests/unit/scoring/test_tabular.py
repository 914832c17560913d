from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qingzhai.core.errors import RuleViolation
from qingzhai.scoring.tabular import encode, encode_target, infer_schema


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "id": range(1, 101),
        "income": np.linspace(1000, 9000, 100),
        "city": (["a", "b", None, "c"] * 25),
        "constant": ["x"] * 100,
        "gender": ["f", "m"] * 50,
        "y": ["good", "bad"] * 50,
    })


def test_columns_are_typed_and_identifiers_constants_and_protected_are_left_out():
    schema = infer_schema(_frame(), target="y", exclude=("gender",))
    assert [(c.name, c.kind) for c in schema.columns] == [("income", "numeric"), ("city", "categorical")]
    assert set(schema.ignored) == {"id", "constant", "gender"}
    assert schema.columns[1].categories == ("a", "b", "c")


def test_text_columns_of_pandas_str_dtype_are_categorical():
    frame = _frame().astype({"city": "str"})
    schema = infer_schema(frame, target="y")
    assert {c.name: c.kind for c in schema.columns}["city"] == "categorical"


def test_unseen_and_missing_categories_encode_as_missing():
    schema = infer_schema(_frame(), target="y", exclude=("gender",))
    new = pd.DataFrame({"income": [5.0, None], "city": ["zzz", None]})
    x = encode(schema, new)
    assert x[0, 0] == 5.0 and np.isnan(x[1, 0])
    assert np.isnan(x[0, 1]) and np.isnan(x[1, 1])


def test_scoring_data_without_a_needed_column_is_refused_naming_it():
    schema = infer_schema(_frame(), target="y", exclude=("gender",))
    with pytest.raises(RuleViolation) as err:
        encode(schema, pd.DataFrame({"income": [1.0]}))
    assert err.value.field == "city"


def test_positive_class_is_recognised_or_must_be_named():
    y, positive = encode_target(pd.Series(["good", "bad", "good"]), positive=None)
    assert positive == "good" and y.tolist() == [1, 0, 1]
    with pytest.raises(RuleViolation) as err:
        encode_target(pd.Series(["A", "B"]), positive=None)
    assert err.value.field == "positive"
    with pytest.raises(RuleViolation) as err:
        encode_target(pd.Series(["A", "B", "C"]), positive="A")
    assert err.value.field == "target"


def test_missing_target_values_are_refused():
    with pytest.raises(RuleViolation) as err:
        encode_target(pd.Series(["good", None]), positive="good")
    assert err.value.field == "target" and "1" in err.value.reason

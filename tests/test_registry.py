import pytest

from actloss._registry import Registry, normalize


class Thing:
    def __init__(self, name, **params):
        self.name, self.params = name, params

    def with_params(self, **params):
        return Thing(self.name, **{**self.params, **params})


@pytest.fixture
def registry():
    r = Registry("thing", Thing, callable_advice="Register it first.")
    r.add(Thing("leaky_relu", alpha=0.01), aliases=("lrelu",))
    r.add(Thing("relu"))
    return r


def test_normalize_treats_case_and_dashes_alike():
    assert normalize(" Leaky-ReLU ") == "leaky_relu"


def test_get_by_name_alias_and_object(registry):
    obj = registry.get("LEAKY-relu")
    assert obj is registry.get("lrelu")
    assert registry.get(obj) is obj
    assert registry.get(obj, alpha=0.2).params == {"alpha": 0.2}
    assert obj.params == {"alpha": 0.01}  # configuring returns a copy


def test_names_sorted_with_aliases(registry):
    assert registry.names() == ["leaky_relu", "lrelu", "relu"]
    assert registry.aliases_of("leaky_relu") == ["lrelu"]


def test_unknown_name_suggests_close_matches(registry):
    with pytest.raises(ValueError, match=r"Unknown thing 'rellu'\. Did you mean 'relu'"):
        registry.get("rellu")


def test_plain_callable_rejected_with_advice(registry):
    with pytest.raises(TypeError, match="Register it first"):
        registry.get(lambda x: x)


def test_wrong_type_rejected(registry):
    with pytest.raises(TypeError, match="received int: 3"):
        registry.get(3)


def test_duplicate_name_rejected(registry):
    with pytest.raises(ValueError, match="already registered"):
        registry.add(Thing("relu"))

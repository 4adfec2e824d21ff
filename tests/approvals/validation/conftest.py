"""Real MLflow models and datasets for the scoring sandbox: small scikit-learn models trained once per session.

mlflow and scikit-learn are imported inside the fixtures: they take seconds to import, and the other tests of this
folder need neither.
"""
import sys

import pytest

# Listed requirements skip mlflow's inference, which loads the model in a subprocess (slow; endless for a model
# whose loading hangs).
PIP_REQUIREMENTS = ["mlflow", "scikit-learn", "pandas"]


def sklearn_save(estimator, path, features) -> None:
    import mlflow.sklearn
    from mlflow.models import infer_signature

    signature = infer_signature(features, estimator.predict(features))
    # cloudpickle: skops' import alone costs the child seconds, and the format is not what these tests are about.
    mlflow.sklearn.save_model(estimator, str(path), signature=signature, pip_requirements=PIP_REQUIREMENTS,
                              serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE)


@pytest.fixture(scope="session")
def iris_dataset():
    """Iris as a DataFrame: four named feature columns and the target column 'species'."""
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True)
    return iris.data.assign(species=iris.target)


@pytest.fixture(scope="session")
def iris_model(iris_dataset, tmp_path_factory):
    """(model folder, fitted estimator): a LogisticRegression with an input signature naming the iris columns."""
    from sklearn.linear_model import LogisticRegression

    features = iris_dataset.drop(columns=["species"])
    estimator = LogisticRegression(max_iter=1000).fit(features, iris_dataset["species"])
    path = tmp_path_factory.mktemp("iris") / "model"
    sklearn_save(estimator, path, features)
    return path, estimator


@pytest.fixture(scope="session")
def diabetes_dataset():
    """Diabetes as a DataFrame: ten feature columns and the target column 'progression'."""
    from sklearn.datasets import load_diabetes

    diabetes = load_diabetes(as_frame=True)
    return diabetes.data.assign(progression=diabetes.target)


@pytest.fixture(scope="session")
def diabetes_model(diabetes_dataset, tmp_path_factory):
    """(model folder, fitted estimator): a LinearRegression with an input signature naming the diabetes columns."""
    from sklearn.linear_model import LinearRegression

    features = diabetes_dataset.drop(columns=["progression"])
    estimator = LinearRegression().fit(features, diabetes_dataset["progression"])
    path = tmp_path_factory.mktemp("diabetes") / "model"
    sklearn_save(estimator, path, features)
    return path, estimator


@pytest.fixture
def python_model_save(tmp_path):
    """Save an mlflow.pyfunc.PythonModel instance (without a signature) and return its folder.

    Its class is pickled by value: the child runs `python -I` in another directory, where the test modules cannot
    be imported by name.
    """
    import cloudpickle
    import mlflow.pyfunc

    def save(python_model):
        module = sys.modules[type(python_model).__module__]
        cloudpickle.register_pickle_by_value(module)
        try:
            path = tmp_path / "python-model"
            mlflow.pyfunc.save_model(str(path), python_model=python_model, pip_requirements=PIP_REQUIREMENTS)
        finally:
            cloudpickle.unregister_pickle_by_value(module)
        return path

    return save

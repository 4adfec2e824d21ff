"""The house-price workflow of "My MLflow Model Registry Workflow", as a runnable script.

    MLFLOW_TRACKING_URI=http://127.0.0.1:8000 MLFLOW_TRACKING_TOKEN=<token> \
        python docs/examples/house_prices_workflow.py
"""
import mlflow
import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

np.random.seed(42)
X = np.random.rand(100, 3) * 100
y = 2 * X[:, 0] + 3 * X[:, 1] - 0.5 * X[:, 2] + np.random.randn(100) * 10 + 50
df = pd.DataFrame(X, columns=["feature_1", "feature_2", "feature_3"])
df["target"] = y
X_train, X_test, y_train, y_test = train_test_split(
    df[["feature_1", "feature_2", "feature_3"]], df["target"], test_size=0.2, random_state=42
)

with mlflow.start_run(run_name="Linear_Regression_V1") as run:
    alpha = 0.5
    mlflow.log_param("alpha", alpha)
    model = LinearRegression()
    model.fit(X_train, y_train)
    predictions = model.predict(X_test)
    rmse = np.sqrt(mean_squared_error(y_test, predictions))
    r2 = r2_score(y_test, predictions)
    mlflow.log_metric("rmse", rmse)
    mlflow.log_metric("r2", r2)
    print(f"RMSE: {rmse}, R2: {r2}")
    mlflow.sklearn.log_model(
        sk_model=model, artifact_path="linear_regression_model", registered_model_name="HousePricePredictor"
    )
    print(f"Model logged and registered under 'HousePricePredictor' with run ID: {run.info.run_id}")

with mlflow.start_run(run_name="Linear_Regression_V2") as run:
    fit_intercept = False
    mlflow.log_param("fit_intercept", fit_intercept)
    model_v2 = LinearRegression(fit_intercept=fit_intercept)
    model_v2.fit(X_train, y_train)
    predictions_v2 = model_v2.predict(X_test)
    rmse_v2 = np.sqrt(mean_squared_error(y_test, predictions_v2))
    r2_v2 = r2_score(y_test, predictions_v2)
    mlflow.log_metric("rmse", rmse_v2)
    mlflow.log_metric("r2", r2_v2)
    print(f"RMSE V2: {rmse_v2}, R2 V2: {r2_v2}")
    mlflow.sklearn.log_model(
        sk_model=model_v2, artifact_path="linear_regression_model_v2", registered_model_name="HousePricePredictor"
    )
    print(f"New model version logged and registered under 'HousePricePredictor' with run ID: {run.info.run_id}")

client = MlflowClient()
latest_version = client.search_model_versions(filter_string="name='HousePricePredictor'")[-1].version
client.transition_model_version_stage(name="HousePricePredictor", version=latest_version, stage="Staging")
print(f"Model 'HousePricePredictor' Version {latest_version} transitioned to Staging.")
client.transition_model_version_stage(name="HousePricePredictor", version=latest_version, stage="Production")
print(f"Model 'HousePricePredictor' Version {latest_version} transitioned to Production.")
production_model_uri = client.get_latest_versions("HousePricePredictor", stages=["Production"])[0].source
print(f"URI for the current production model: {production_model_uri}")

production_model = mlflow.pyfunc.load_model("models:/HousePricePredictor/Production")
print(f"Predictions: {production_model.predict(X_test)[:3]}")

# Aliases, the MLflow 3 way of promoting
client.set_registered_model_alias("HousePricePredictor", "champion", latest_version)
champion = mlflow.pyfunc.load_model("models:/HousePricePredictor@champion")
print(f"Champion predictions: {champion.predict(X_test)[:3]}")

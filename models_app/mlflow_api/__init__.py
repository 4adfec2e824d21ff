"""The MLflow-compatible REST API: the stock `mlflow` client works against this server unchanged."""

"""The iris workflow of the "Model Registry Fundamentals" article, as a runnable script.

Point it at the registry with environment variables only:

    MLFLOW_TRACKING_URI=http://127.0.0.1:8000 MLFLOW_TRACKING_TOKEN=<token> python docs/examples/iris_workflow.py

The article's code is kept as written where it runs; the changes are marked "runnable:".
"""
import mlflow
import mlflow.pyfunc
import mlflow.sklearn
from mlflow.tracking import MlflowClient
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import cross_val_score, train_test_split

# Step 1: Train and log a model
iris = load_iris()
X_train, X_test, y_train, y_test = train_test_split(iris.data, iris.target, test_size=0.2, random_state=42)
mlflow.set_experiment("Iris Classification")
mlflow.start_run(run_name="rf_v1")
model = RandomForestClassifier(n_estimators=100, random_state=42)
model.fit(X_train, y_train)
accuracy = accuracy_score(y_test, model.predict(X_test))
mlflow.log_param("n_estimators", 100)
mlflow.log_metric("accuracy", accuracy)
mlflow.sklearn.log_model(model, "model")
run_id = mlflow.active_run().info.run_id  # runnable: the article pastes the run id by hand
mlflow.end_run()
print(f"Model logged. Accuracy: {accuracy:.3f}")

# Step 2: Register the model
client = MlflowClient()
model_name = "iris_classifier"
model_uri = f"runs:/{run_id}/model"
model_version = mlflow.register_model(model_uri, model_name)
print(f"Registered {model_name} version {model_version.version}")
first_version = model_version.version

# Managing versions and stages
client.transition_model_version_stage(name="iris_classifier", version=first_version, stage="Staging")
client.transition_model_version_stage(name="iris_classifier", version=first_version, stage="Production")

versions = client.search_model_versions(f"name='{model_name}'")
for v in versions:
    print(f"Version {v.version}: {v.current_stage}")
prod_version = client.get_model_version(name="iris_classifier", version="production")  # query by stage name
print(f"Production version: {prod_version.version}")

# Loading a model from the registry
loaded = mlflow.pyfunc.load_model("models:/iris_classifier/Production")
predictions = loaded.predict(X_test)
print(f"Production model accuracy: {accuracy_score(y_test, predictions):.3f}")

# Metadata and descriptions
client.update_model_version(
    name="iris_classifier",
    version=first_version,
    description="Random Forest trained on Iris dataset. Achieves 96% accuracy on test set.",
)
client.set_model_version_tag(name="iris_classifier", version=first_version, key="team", value="data_science")
client.set_model_version_tag(
    name="iris_classifier", version=first_version, key="approved_by", value="jane.doe@example.com"
)
version = client.get_model_version(name="iris_classifier", version=first_version)
print(f"Description: {version.description}")
print(f"Tags: {version.tags}")

# A complete workflow: train, register, promote, deploy
mlflow.set_experiment("Iris Classification - Production Pipeline")
mlflow.start_run(run_name="rf_v2_candidate")
model = RandomForestClassifier(n_estimators=150, random_state=42)
model.fit(X_train, y_train)
test_accuracy = accuracy_score(y_test, model.predict(X_test))
cv_scores = cross_val_score(model, X_train, y_train, cv=5)
mlflow.log_param("n_estimators", 150)
mlflow.log_metric("test_accuracy", test_accuracy)
mlflow.log_metric("cv_mean_accuracy", cv_scores.mean())
mlflow.log_metric("cv_std_accuracy", cv_scores.std())
mlflow.sklearn.log_model(model, "model")
run_id = mlflow.active_run().info.run_id
mlflow.end_run()
print(f"Trained model. Test accuracy: {test_accuracy:.3f}")

model_uri = f"runs:/{run_id}/model"
model_versions = client.search_model_versions(f"name='{model_name}'")
version_info = mlflow.register_model(model_uri, model_name)
new_version = version_info.version
print(f"Registered {model_name} version {new_version}")

client.transition_model_version_stage(name=model_name, version=new_version, stage="Staging")
print("Transitioned to Staging")
staging_model = mlflow.pyfunc.load_model(f"models:/{model_name}/Staging")
staging_accuracy = accuracy_score(y_test, staging_model.predict(X_test))
print(f"Staging model accuracy (validation): {staging_accuracy:.3f}")

if staging_accuracy >= 0.95:
    prod_versions = client.search_model_versions(f"name='{model_name}' and current_stage='Production'")
    for pv in prod_versions:
        client.transition_model_version_stage(name=model_name, version=pv.version, stage="Archived")
    client.transition_model_version_stage(name=model_name, version=new_version, stage="Production")
    print(f"Promoted version {new_version} to Production!")
else:
    print(f"Staging accuracy {staging_accuracy:.3f} below threshold. Not promoting.")

# Rollback: the old production version back to Production, the new one Archived
client.transition_model_version_stage(name=model_name, version=first_version, stage="Production")
client.transition_model_version_stage(name=model_name, version=new_version, stage="Archived")
print(f"Rolled back: version {client.get_model_version(model_name, 'production').version} is in Production")

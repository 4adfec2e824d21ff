"""One governed promotion against a running server, timed: request -> validation -> approve -> applied.

    .venv/bin/python bench/governed_promotion.py http://127.0.0.1:8000 <admin user> <password>

The admin (a governance admin) creates a held-out dataset and the policy naming group `bench-approvers`
(whose member `bench-approver` bench/compare.py creates with the admin); a model
trained here is logged with the stock mlflow client; the request's validation scores it in the sandbox.
Prints the timings as one JSON line (bench/compare.py reads it). Not a test: it asserts nothing.
"""
import io
import json
import os
import sys
import time
import uuid

import requests


def main(url: str, user: str, password: str) -> None:
    os.environ.update(MLFLOW_TRACKING_USERNAME=user, MLFLOW_TRACKING_PASSWORD=password)
    import mlflow  # noqa: PLC0415 - reads the credentials above
    from sklearn.datasets import load_iris  # noqa: PLC0415
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
    from sklearn.model_selection import train_test_split  # noqa: PLC0415

    tag = uuid.uuid4().hex[:8]
    admin = requests.Session()
    admin.auth = (user, password)
    features, labels = load_iris(return_X_y=True, as_frame=True)
    x_train, x_test, y_train, y_test = train_test_split(features, labels, test_size=0.3, random_state=0)
    csv = io.BytesIO()
    x_test.assign(target=y_test).to_csv(csv, index=False)
    dataset = admin.post(f"{url}/api/v1/validation-datasets/", files={"file": (f"iris-{tag}.csv", csv.getvalue())},
                         data={"name": f"iris-holdout-{tag}", "target_column": "target",
                               "task_type": "classification"})
    dataset.raise_for_status()
    model_name = f"bench-governed-{tag}"
    policy = admin.post(f"{url}/api/v1/policies/", json={
        "name": f"bench {tag}", "model_pattern": model_name, "protected_stages": ["Production"],
        "required_approvals": 1, "approver_group": "bench-approvers", "require_validation": True,
        "metric_thresholds": [{"metric": "accuracy", "op": ">=", "value": 0.8, "on": "datasets"}],
        "validation_datasets": [f"iris-holdout-{tag}"]})
    policy.raise_for_status()

    mlflow.set_tracking_uri(url)
    mlflow.set_experiment(f"bench-governed-{tag}")
    with mlflow.start_run():
        model = LogisticRegression(max_iter=500).fit(x_train, y_train)
        mlflow.sklearn.log_model(model, name="model", registered_model_name=model_name,
                                 input_example=x_train.head(2))

    started = time.perf_counter()
    request = admin.post(f"{url}/api/v1/review-requests/", json={"model": model_name, "version": 1,
                                                                   "stage": "Production"})
    request.raise_for_status()
    request_id = request.json()["id"]
    answered = time.perf_counter() - started
    validation_done = None
    while time.perf_counter() - started < 300:
        detail = admin.get(f"{url}/api/v1/review-requests/{request_id}/").json()
        status = (detail.get("validation") or {}).get("status")
        if status in ("PASSED", "FAILED", "ERROR"):
            validation_done = time.perf_counter() - started
            break
        time.sleep(0.1)
    approver = requests.Session()
    approver.auth = ("bench-approver", "bench-approver-pass")
    approve = approver.post(f"{url}/api/v1/review-requests/{request_id}/approve/", json={"comment": "ok"})
    applied = time.perf_counter() - started
    version = admin.get(f"{url}/api/v1/models/{model_name}/versions/1/").json()
    print(json.dumps({"request_answered_s": answered, "validation_s": validation_done, "total_s": applied,
                      "validation_status": status, "approve_status": approve.status_code,
                      "stage": version.get("current_stage") or version.get("stage"),
                      "errors": int(version.get("current_stage", version.get("stage")) != "Production")}))


if __name__ == "__main__":
    main(*sys.argv[1:4])

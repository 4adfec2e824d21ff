"""Attack: ids and numbers in paths and query strings that are not numbers, or not numbers the database holds.

Each of these answered 500 before: `int('AAA')` in a queryset, `/versions/0/` reaching a view that refuses it
with an exception pages did not translate, OFFSET beyond bigint, int('²') passing str.isdigit().
"""
import pytest

from .conftest import assert_native_error, assert_page_error

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
NATIVE_BAD_ID_PATHS = [
    ("get", "/api/v1/review-requests/{id}/"),
    ("post", "/api/v1/review-requests/{id}/approve/"),
    ("post", "/api/v1/review-requests/{id}/reject/"),
    ("post", "/api/v1/review-requests/{id}/cancel/"),
    ("get", "/api/v1/review-requests/{id}/validation-runs/"),
    ("get", "/api/v1/validation-runs/{id}/"),
    ("post", "/api/v1/validation-runs/{id}/repeat/"),
    ("get", "/api/v1/policies/{id}/"),
    ("patch", "/api/v1/policies/{id}/"),
    ("delete", "/api/v1/validation-datasets/{id}/"),
    ("get", "/api/v1/audit-events/{id}/"),
    ("get", "/api/v1/models/iris/versions/{id}/"),
    ("post", "/api/v1/models/iris/versions/{id}/transition/"),
    ("get", "/api/v1/models/iris/versions/{id}/validation-runs/"),
]


BAD_IDS = ["AAA", "0", "-1", "1.5", HUGE, "%C2%B2"]


@pytest.mark.parametrize(("method", "path"), NATIVE_BAD_ID_PATHS)
def test_native_api_answers_a_bad_id_with_a_json_404_that_says_ids_are_numbers(native, registry, method, path):
    for bad_id in BAD_IDS:
        response = getattr(native, method)(path.format(id=bad_id), data={}, content_type="application/json")

        body = assert_native_error(response, 404, "positive integers")
        assert body["error_code"] == "ENDPOINT_NOT_FOUND"


def test_native_api_still_serves_good_ids(native, registry):
    assert native.get("/api/v1/models/iris/versions/2/").status_code == 200
    assert_native_error(native.get("/api/v1/review-requests/12345/"), 404, "does not exist")


PAGE_BAD_NUMBER_PATHS = [
    "/models/iris/versions/{n}/",
    "/models/iris/versions/{n}/artifacts/",
    "/models/iris/versions/{n}/artifacts/download/",
    "/approvals/models/iris/versions/{n}/requests/",
    "/approvals/models/iris/versions/{n}/validation/",
    "/approvals/requests/{n}/",
    "/approvals/requests/{n}/validation/",
    "/experiments/{n}/",
]


@pytest.mark.parametrize("path", PAGE_BAD_NUMBER_PATHS)
def test_pages_answer_a_bad_number_in_the_path_with_404(pages, registry, path):
    # Experiment 0 exists (the Default experiment); version and request numbers start at 1.
    numbers = [HUGE, "AAA", "-1"] if path.startswith("/experiments/") else ["0", HUGE, "AAA", "-1"]
    for number in numbers:
        assert pages.get(path.format(n=number)).status_code == 404, number


def test_pages_still_serve_version_1_and_the_default_experiment(pages, registry):
    assert pages.get("/models/iris/versions/1/").status_code == 200
    assert pages.get(f"/experiments/{registry['experiment'].pk}/").status_code == 200


def test_compare_page_refuses_a_version_number_it_cannot_hold_with_a_400_naming_the_parameter(pages, registry):
    for value in [HUGE, "0", "²", "1e3", "-2"]:
        response = pages.get("/models/iris/compare/", {"left": value, "right": "1"})

        assert_page_error(response, 400, "'left' must be a version number between 1 and 2147483647")


def test_compare_page_still_compares_two_versions(pages, registry):
    assert pages.get("/models/iris/compare/", {"left": "1", "right": "2"}).status_code == 200


def test_experiment_and_list_pages_clamp_a_page_number_beyond_any_offset(pages, registry):
    for page in ["99999999999999999999999", "-5", "x", "²"]:
        experiment_page = pages.get(f"/experiments/{registry['experiment'].pk}/", {"page": page})
        assert experiment_page.status_code == 200
        for path in ("/experiments/", "/models/", "/models/iris/", "/audit/"):
            assert pages.get(path, {"page": page}).status_code == 200, (path, page)


def test_mlflow_api_answers_huge_numbers_in_fields_with_its_error_shape(mlflow, registry):
    got = mlflow.get("model-versions/get", name="iris", version=HUGE)
    assert got.status_code == 404 and set(got.json()) == {"error_code", "message"}
    created = mlflow.post("runs/create", {"experiment_id": str(registry["experiment"].pk), "start_time": 10**30})
    assert created.status_code == 400, created.json()
    assert created.json()["error_code"] == "INVALID_PARAMETER_VALUE"

"""The checkpoint stores: a local file replaced atomically, or one object in an S3-compatible bucket."""
import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from models_app.services.audit_checkpoint import (
    Checkpoint,
    FileCheckpointStore,
    S3CheckpointStore,
    audit_checkpoint_read,
    checkpoint_store,
)

CHECKPOINT = Checkpoint(last_event_id=7, last_hash="a" * 64, count=7, written_at="2026-12-03T12:00:00+00:00")


def test_the_file_store_replaces_the_checkpoint_whole(tmp_path):
    store = FileCheckpointStore(tmp_path / "new-folder" / "checkpoint.json")
    assert store.read() is None

    store.write(b"first")
    store.write(b"second")

    assert store.read() == b"second"
    assert [path.name for path in store.path.parent.iterdir()] == ["checkpoint.json"]  # no temporary left behind


def test_the_settings_pick_the_file_store_by_default(settings, tmp_path):
    assert checkpoint_store().location == str(settings.AUDIT_CHECKPOINT_PATH)


def test_the_settings_pick_the_s3_store_with_a_bucket(settings):
    settings.AUDIT_CHECKPOINT_S3_BUCKET, settings.AUDIT_CHECKPOINT_S3_KEY = "audit-anchor", "registry/head.json"
    settings.AUDIT_CHECKPOINT_S3_ENDPOINT_URL = "http://127.0.0.1:9000"

    store = checkpoint_store()

    assert isinstance(store, S3CheckpointStore)
    assert store.location == "s3://audit-anchor/registry/head.json"
    assert store.client.meta.endpoint_url == "http://127.0.0.1:9000"


@pytest.fixture
def s3():
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_the_s3_store_puts_and_reads_the_signed_checkpoint(s3, settings):
    client, stubber = s3
    store = S3CheckpointStore(bucket="audit-anchor", key="head.json", client=client)
    signed = CHECKPOINT.signed(settings.AUDIT_HMAC_KEY.encode())
    stubber.add_response("put_object", {}, {"Bucket": "audit-anchor", "Key": "head.json", "Body": signed,
                                            "ContentType": "application/json"})
    stubber.add_response("get_object", {"Body": StreamingBody(_Stream(signed), len(signed))},
                         {"Bucket": "audit-anchor", "Key": "head.json"})

    store.write(signed)

    assert audit_checkpoint_read(store=store) == CHECKPOINT


def test_the_s3_store_reads_a_missing_object_as_no_checkpoint(s3):
    client, stubber = s3
    stubber.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)

    assert S3CheckpointStore(bucket="audit-anchor", key="head.json", client=client).read() is None


class _Stream:
    def __init__(self, data: bytes):
        self.data = data

    def read(self, *args) -> bytes:
        data, self.data = self.data, b""
        return data

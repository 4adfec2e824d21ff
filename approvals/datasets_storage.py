"""Where validation datasets are stored: a storage root of their own (VALIDATION_DATASET_ROOT).

Not the artifact store: clients write there through the artifact proxy, and a dataset is evidence that only
governance admins may change. Datasets uploaded before lived under LEGACY_FOLDER in the artifact store; the
migration `move_validation_datasets_out_of_artifacts` moved them, and the artifact proxy refuses that folder.
"""
from django.core.files.storage import storages

STORAGE_ALIAS = "validation_datasets"
LEGACY_FOLDER = "validation-datasets"


def dataset_storage():
    return storages[STORAGE_ALIAS]

"""Running service calls in parallel threads, each on its own database connection."""
import threading

import pytest
from django.db import connection

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks and concurrent transactions"
)


def run_concurrently(count: int, work) -> list:
    """Call work(i) for i in range(count) in `count` threads released together; re-raise the first error."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as error:  # re-raised in the test thread below
            errors.append(error)
        finally:
            # Each thread opened its own connection; leaving it open would block the test database's teardown.
            connection.close()

    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results

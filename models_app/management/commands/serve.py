"""`manage.py serve`: the web server, a Celery worker and beat as one command (what `make run` starts).

The same task code runs as in a deployment: requests return at once and the worker executes validation runs.
Each child runs in its own session, so the terminal's Ctrl-C reaches this supervisor only; it then stops every
child's whole process group (runserver's autoreloader, the worker's pool and its sandboxes included). When one
child exits on its own, the others are stopped too and the command exits with that child's code.
"""
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

STOP_GRACE_SECONDS = 10
POLL_SECONDS = 0.2
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM when the supervisor dies, even by SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat together; Ctrl-C stops all three."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="where runserver listens")
        parser.add_argument("--noreload", action="store_true", help="runserver without the autoreloader")

    def handle(self, *args, **options):
        if current_app.conf.task_always_eager:
            raise CommandError("serve runs a Celery worker, which needs a broker: set CELERY_BROKER_URL "
                               "(filesystem:// for the embedded one, as `make run` does) or REDIS_URL.")
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        celery = [sys.executable, "-m", "celery", "-A", "registry_site"]
        commands = {
            "web": [*manage, "runserver", options["addrport"], *(["--noreload"] if options["noreload"] else [])],
            # One pool process: runs are heavy (each scores in a sandbox); prefork keeps the task time limits.
            "worker": [*celery, "worker", "--loglevel", "INFO", "--pool", "prefork", "--concurrency", "1",
                       "--without-mingle", "--without-gossip"],
            "beat": [*celery, "beat", "--loglevel", "INFO"],  # schedule file: CELERY_BEAT_SCHEDULE_FILENAME
        }
        Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent.mkdir(parents=True, exist_ok=True)
        stopping = []
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda number, frame: stopping.append(number))
        children: dict[str, subprocess.Popen] = {}
        try:
            for name, command in commands.items():
                children[name] = subprocess.Popen(command, cwd=settings.BASE_DIR, start_new_session=True,
                                                  preexec_fn=_die_with_parent)
                self.stdout.write(f"Started {name} (pid {children[name].pid}): {' '.join(command[1:])}")
            self.stdout.write("Press Ctrl-C to stop the web server, the worker and beat.")
            exited = self._wait(children, stopping)
        finally:
            self._stop(children)
        if exited is not None:
            name, code = exited
            raise CommandError(f"{name} exited with code {code}; stopped the others.", returncode=code or 1)

    def _wait(self, children: dict, stopping: list) -> tuple[str, int] | None:
        """Until a signal arrives (None) or a child exits ((name, code))."""
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    return name, child.returncode
            time.sleep(POLL_SECONDS)
        self.stdout.write("Stopping the web server, the worker and beat…")
        return None

    def _stop(self, children: dict) -> None:
        """SIGTERM each child (Celery's warm shutdown stops its own pool), then whatever is left of its process group
        (runserver's reloaded child, a sandbox); SIGKILL what still runs after the grace period."""
        for child in children.values():
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        groups = [child.pid for child in children.values()]
        for group in groups:
            _signal_group(group, signal.SIGTERM)
        while any(_group_alive(group) for group in groups) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        for group in groups:
            _signal_group(group, signal.SIGKILL)
        for child in children.values():
            child.wait()


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

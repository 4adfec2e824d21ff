"""How the scoring child is confined: bubblewrap where the machine has it, else a limited subprocess.

bubblewrap (`bwrap`): new mount, PID, network, IPC, UTS and cgroup namespaces; a root file system holding only
read-only binds of /usr and the Python installation, the model folder (read-only), the features (read-only), an
output folder for the predictions, a size-limited private /tmp and its own /proc (no view of the worker's
processes); a cleared environment; an unprivileged uid with no capabilities.

As root, a user namespace would map the sandbox's uid onto host root, for whom the kernel does not enforce the
process-count limit: so a root worker creates every namespace but the user one and drops to VALIDATION_SANDBOX_UID
with setpriv inside the sandbox (a real unprivileged uid on the host). Any other worker uses `--unshare-all`: its
own user namespace, with VALIDATION_SANDBOX_UID inside.

Without a working bwrap the child is a plain subprocess with a cleared environment, its own session and the same
resource limits, sharing the worker's user, network and file system; the evidence says so.
"""
import functools
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

BUBBLEWRAP = "bubblewrap"
SUBPROCESS = "subprocess"
CHILD_SCRIPT = Path(__file__).with_name("score_child.py")
# Where the sandbox sees its files (bubblewrap only; the subprocess sees the worker's paths).
SANDBOX_ROOT = Path("/sandbox")
SCRATCH = Path("/tmp")
MIB = 1024 * 1024
# After the time limit, how long until the child's own alarm (and the CPU limit's hard end) stop it regardless.
KILL_GRACE_SECONDS = 5
# Threads reserve address space (stacks, BLAS buffers) that RLIMIT_AS counts, and count against RLIMIT_NPROC.
THREAD_LIMIT_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# The host's top-level names that merged-/usr systems make symlinks into /usr.
SYSTEM_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
NAMESPACES_AS_ROOT = ("--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try")
PROBE_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Limits:
    timeout_seconds: float
    memory_limit_mb: int
    max_processes: int
    max_file_mb: int

    def evidence(self) -> dict:
        return {"wall_clock_seconds": self.timeout_seconds, "cpu_seconds": math.ceil(self.timeout_seconds),
                "address_space_mb": self.memory_limit_mb, "processes": self.max_processes,
                "file_size_mb": self.max_file_mb}


@dataclass(frozen=True)
class Isolation:
    """The confinement a scoring ran in, as recorded in the check's evidence."""

    kind: str  # BUBBLEWRAP or SUBPROCESS
    description: str
    bwrap: str = ""
    uid: int = 65534

    @property
    def full(self) -> bool:
        return self.kind == BUBBLEWRAP


@dataclass(frozen=True)
class Layout:
    """The host folders of one scoring: the model and the features (read-only to the child), its output, scratch."""

    model_dir: Path
    input_dir: Path
    output_dir: Path
    scratch_dir: Path


@dataclass(frozen=True)
class ChildCommand:
    argv: list[str]
    env: dict[str, str] | None
    cwd: Path
    # The paths as the child sees them.
    model_dir: str
    input_dir: str
    output_dir: str
    preexec_fn: object = field(repr=False, default=None)


def sandbox_environment(scratch: Path) -> dict[str, str]:
    """The child's whole environment: an allow-list, never a copy of os.environ."""
    return {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "HOME": str(scratch / "home"),
        "TMPDIR": str(scratch / "tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        **{variable: "1" for variable in THREAD_LIMIT_VARIABLES},
        # mlflow 3 otherwise sends usage telemetry from background threads: no network traffic from the sandbox.
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }


def isolation_choose(*, bwrap: str, uid: int) -> Isolation:
    """bubblewrap when `bwrap` is set, executable and able to start a sandbox here; else the subprocess."""
    if not bwrap:
        return _subprocess_isolation("VALIDATION_SANDBOX_BWRAP is empty")
    found = shutil.which(bwrap)
    if found is None:
        return _subprocess_isolation(f"{bwrap} is not installed")
    problem = _bwrap_probe(found, uid)
    if problem:
        return _subprocess_isolation(f"{found} cannot start a sandbox here: {problem}")
    if os.geteuid() == 0:
        user = f"uid {uid} (dropped with setpriv, no capabilities)"
        namespaces = "mount, PID, network, IPC, UTS and cgroup namespaces"
    else:
        user = f"uid {uid} inside its own user namespace (uid {os.geteuid()} outside, no capabilities)"
        namespaces = "user, mount, PID, network, IPC, UTS and cgroup namespaces"
    return Isolation(BUBBLEWRAP, f"bubblewrap ({found}): own {namespaces}; no network; read-only Python and model; "
                                 f"features in, predictions out; private /tmp and /proc; cleared environment; {user}",
                     bwrap=found, uid=uid)


def _subprocess_isolation(reason: str) -> Isolation:
    return Isolation(SUBPROCESS, f"subprocess without bubblewrap ({reason}): cleared environment, own session and "
                                 f"resource limits; shares the worker's user (uid {os.geteuid()}), network and "
                                 "file system")


@functools.lru_cache(maxsize=8)
def _bwrap_probe(bwrap: str, uid: int) -> str:
    """'' when a sandbox with the real layout starts and runs Python here, else what went wrong (cached)."""
    isolation = Isolation(BUBBLEWRAP, "probe", bwrap=bwrap, uid=uid)
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as folder:
        layout = layout_create(Path(folder), model_dir=Path(folder))
        command = child_command(isolation, layout, ["-c", "pass"], Limits(PROBE_TIMEOUT_SECONDS, 1024, 64, 16))
        try:
            probe = subprocess.run(command.argv, env=command.env, cwd=command.cwd, capture_output=True,
                                   timeout=PROBE_TIMEOUT_SECONDS, preexec_fn=command.preexec_fn)
        except (OSError, subprocess.SubprocessError) as error:
            return str(error)
    if probe.returncode:
        return probe.stderr.decode(errors="replace").strip()[-500:] or f"exit status {probe.returncode}"
    return ""


def layout_create(workdir: Path, *, model_dir: Path) -> Layout:
    layout = Layout(model_dir=model_dir, input_dir=workdir / "in", output_dir=workdir / "out",
                    scratch_dir=workdir / "scratch")
    for folder in (layout.input_dir, layout.output_dir, layout.scratch_dir / "home", layout.scratch_dir / "tmp"):
        folder.mkdir(parents=True)
    return layout


def layout_share(layout: Layout, isolation: Isolation) -> None:
    """Let the sandbox's uid read the model and the input and write its output (a root worker's files are not its)."""
    if not (isolation.full and os.geteuid() == 0):
        return
    for top in (layout.model_dir, layout.input_dir):
        for folder, _dirs, files in os.walk(top):
            os.chmod(folder, os.stat(folder).st_mode | 0o555)
            for name in files:
                path = os.path.join(folder, name)
                os.chmod(path, os.stat(path).st_mode | 0o444)
    os.chown(layout.output_dir, isolation.uid, isolation.uid)
    os.chmod(layout.output_dir, 0o700)


def child_command(isolation: Isolation, layout: Layout, python_args: list[str], limits: Limits) -> ChildCommand:
    """The argv, environment and limits that start `python -I <python_args>` confined as `isolation` says."""
    python = [sys.executable, "-I", *python_args]
    if not isolation.full:
        return ChildCommand(python, sandbox_environment(layout.scratch_dir), layout.scratch_dir,
                            str(layout.model_dir), str(layout.input_dir), str(layout.output_dir),
                            _limits_preexec(limits, count_uid=None if os.geteuid() == 0 else os.geteuid()))
    inside = {name: SANDBOX_ROOT / name for name in ("model", "in", "out")}
    argv = [isolation.bwrap, *_bwrap_namespaces(isolation), "--die-with-parent", "--clearenv", "--new-session"]
    for name, value in sandbox_environment(SCRATCH).items():
        argv += ["--setenv", name, value]
    argv += _bwrap_file_system(layout, inside, limits)
    if os.geteuid() == 0:
        argv += ["setpriv", f"--reuid={isolation.uid}", f"--regid={isolation.uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--"]
    count_uid = isolation.uid if os.geteuid() == 0 else os.geteuid()
    # bwrap's own environment too: its process inside the PID namespace keeps the one it was started with in
    # /proc/1/environ.
    return ChildCommand(argv + python, {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, layout.scratch_dir,
                        str(inside["model"]), str(inside["in"]), str(inside["out"]),
                        _limits_preexec(limits, count_uid=count_uid))


def child_script_path(isolation: Isolation) -> str:
    return str(SANDBOX_ROOT / CHILD_SCRIPT.name) if isolation.full else str(CHILD_SCRIPT)


def _bwrap_namespaces(isolation: Isolation) -> list[str]:
    if os.geteuid() == 0:
        # setpriv needs these to drop to the sandbox's uid; it clears them with the uid change.
        return [*NAMESPACES_AS_ROOT, "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                "--cap-add", "CAP_SETPCAP"]
    return ["--unshare-all", "--unshare-user", "--disable-userns", "--uid", str(isolation.uid),
            "--gid", str(isolation.uid)]


def _bwrap_file_system(layout: Layout, inside: dict[str, Path], limits: Limits) -> list[str]:
    prefixes = _python_prefixes()
    argv = ["--ro-bind", "/usr", "/usr"]
    for name in SYSTEM_LINKS:
        host = Path("/") / name
        if host.is_symlink():
            argv += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            argv += ["--ro-bind", str(host), str(host)]
    # Folders bwrap would create on the way to a bind are closed to other users: open them to the sandbox's uid.
    for folder in _ancestors([*prefixes, SANDBOX_ROOT / "model"]):
        argv += ["--perms", "0755", "--dir", str(folder)]
    for prefix in prefixes:
        argv += ["--ro-bind", str(prefix), str(prefix)]
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(limits.max_file_mb * MIB), "--perms", "1777", "--tmpfs", str(SCRATCH),
             "--perms", "0777", "--dir", str(SCRATCH / "home"), "--perms", "0777", "--dir", str(SCRATCH / "tmp"),
             "--ro-bind", str(layout.model_dir), str(inside["model"]),
             "--ro-bind", str(layout.input_dir), str(inside["in"]),
             "--bind", str(layout.output_dir), str(inside["out"]),
             "--ro-bind", str(CHILD_SCRIPT), str(SANDBOX_ROOT / CHILD_SCRIPT.name),
             "--chdir", str(SCRATCH)]
    return argv


def _python_prefixes() -> list[Path]:
    """The Python installation and its virtual environment, outside /usr (which is bound whole), outermost only."""
    candidates = sorted({Path(path) for path in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)})
    found: list[Path] = []
    for path in candidates:
        if path.is_relative_to("/usr") or any(path.is_relative_to(kept) for kept in found):
            continue
        found.append(path)
    return found


def _ancestors(paths: list[Path]) -> list[Path]:
    folders = {parent for path in paths for parent in path.parents if parent != Path("/")}
    return sorted(folders, key=lambda folder: (len(folder.parts), str(folder)))


def _limits_preexec(limits: Limits, *, count_uid: int | None):
    """What the child sets on itself between fork and exec: address space, CPU, file size, processes, no core."""
    address_space = limits.memory_limit_mb * MIB
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        address_space = min(address_space, hard)
    cpu = math.ceil(limits.timeout_seconds)
    file_size = limits.max_file_mb * MIB
    # RLIMIT_NPROC counts every task of the uid on the host: the limit is what it has now plus the allowance.
    processes = None if count_uid is None else _tasks_of(count_uid) + limits.max_processes
    # A pending alarm survives exec and SIGALRM ends the process: the child stops itself even if the worker is
    # killed before it can stop the child (the child's own session keeps it out of the worker's group).
    self_destruct_seconds = cpu + KILL_GRACE_SECONDS

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + KILL_GRACE_SECONDS))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
        if processes is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
        signal.alarm(self_destruct_seconds)

    return apply


def _tasks_of(uid: int) -> int:
    """Threads of every process whose real uid is `uid` (what RLIMIT_NPROC counts)."""
    count = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            count += int(fields.get("Threads", "1"))
    return count

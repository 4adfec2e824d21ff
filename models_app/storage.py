"""The local artifact store: Django's FileSystemStorage, except that no path leaves its root through a link.

FileSystemStorage checks paths lexically (no `..`), so a symbolic link placed inside the root (by someone on the
host, or a restored backup) would be followed: `0/escape -> /etc` would list, read and write /etc. Here every path
is resolved first and refused if it ends outside the root, and listings leave such links out, as if absent.
"""
import os

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage


class ContainedFileSystemStorage(FileSystemStorage):
    """A FileSystemStorage whose every path, links resolved, stays inside its location."""

    def path(self, name: str) -> str:
        path = super().path(name)
        if not self._contained(path):
            raise SuspiciousFileOperation(f"The artifact path '{name}' leads out of the artifact store.")
        return path

    def _contained(self, path: str) -> bool:
        root = os.path.realpath(self.location)
        real = os.path.realpath(path)
        return real == root or real.startswith(root + os.sep)

    def exists(self, name: str) -> bool:
        try:
            return super().exists(name)
        except SuspiciousFileOperation:
            return False

    def listdir(self, path: str):
        try:
            folder = self.path(path)
        except SuspiciousFileOperation:
            raise FileNotFoundError(path) from None
        dirs, files = super().listdir(path)
        return ([name for name in dirs if self._contained(os.path.join(folder, name))],
                [name for name in files if self._contained(os.path.join(folder, name))])

    def delete(self, name: str) -> None:
        """Delete a file or an empty folder; links out of the store in that folder are removed, never their targets.

        A folder holding such a link looks empty through listdir(), and removing it must not fail on the link.
        """
        folder = super().path(name)
        if os.path.isdir(folder) and not os.path.islink(folder) and self._contained(folder):
            for entry in os.scandir(folder):
                if entry.is_symlink() and not self._contained(entry.path):
                    os.unlink(entry.path)
        super().delete(name)

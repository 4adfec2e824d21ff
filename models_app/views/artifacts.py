"""The artifact browser and downloads, shared by version and run pages."""
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse

from ..downloads import artifact_file_response
from ..exceptions import InvalidParameter, NotFound
from ..selectors.pages_tracking import artifacts_of
from ..services.artifacts import artifact_open_below


def artifact_browser_context(*, root_uri: str, path: str, browse_url: str, download_url: str) -> dict:
    """What the artifact fragment shows: the folder's entries, the breadcrumbs, the URLs to browse and download."""
    try:
        root, entries = artifacts_of(root_uri=root_uri, path=path)
        error = ""
    except InvalidParameter as refusal:
        root, entries, error = None, [], refusal.message
    parts = [part for part in path.split("/") if part] if not error else []
    crumbs = [{"name": part, "path": "/".join(parts[: index + 1])} for index, part in enumerate(parts)]
    return {"artifact_root": root, "entries": entries, "crumbs": crumbs, "artifact_error": error,
            "browse_url": browse_url, "download_url": download_url, "artifact_path": "/".join(parts)}


def artifact_browser(request, *, root_uri: str, url_name: str, args: list) -> dict:
    return artifact_browser_context(
        root_uri=root_uri, path=request.GET.get("path", ""),
        browse_url=reverse(f"models_app:{url_name}", args=args),
        download_url=reverse(f"models_app:{url_name}_download", args=args),
    )


def render_artifact_fragment(request, context: dict):
    return render(request, "models_app/partials/artifact_browser.html", context)


def artifact_download(*, root_uri: str, path: str) -> FileResponse:
    """Stream one file below the root; anything outside it ('..', absolute paths) is refused as not found."""
    try:
        handle = artifact_open_below(root_uri=root_uri, path=path)
    except (InvalidParameter, NotFound) as refusal:
        raise Http404(refusal.message) from None
    return artifact_file_response(handle, path)

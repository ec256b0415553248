"""Execute a notebook headless with nbclient and save the executed copy (and optionally an HTML rendering).

Usage: python scripts/run_notebook.py <in.ipynb> <out.ipynb> [--html <out.html>] [--kernel neardup] [--timeout 3600]
The kernel inherits this process's environment, so NEARDUP_DATASET etc. reach the notebook's parameter cell.
Exits non-zero (and still saves the partial notebook) when a cell fails.
"""
import argparse
import os
import sys
import tempfile

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def save_atomic(nb, path):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, suffix=".ipynb.tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


# Outputs whose static picture (text/html, image/png) beats the live widget view in an exported
# HTML file: the widget view needs the widget manager from a CDN and our extension, neither of
# which an offline HTML file has. The widget state is left out for the same reason.
OFFLINE_PRIORITY = [
    "text/html",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/markdown",
    "text/latex",
    "application/vnd.jupyter.widget-view+json",
    "text/plain",
]


def offline_html(nb):
    """The notebook as one HTML file that shows every output offline (no widget manager, no CDN)."""
    import copy

    from nbconvert import HTMLExporter
    from traitlets.config import Config

    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    c = Config({"NbConvertBase": {"display_data_priority": OFFLINE_PRIORITY}})
    body, _ = HTMLExporter(config=c).from_notebook_node(nb)
    return body


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--html")
    p.add_argument("--kernel", default="neardup")
    p.add_argument("--timeout", type=int, default=3600)
    p.add_argument("--cwd", help="working directory of the kernel (default: the input notebook's folder)")
    a = p.parse_args()
    nb = nbformat.read(a.input, as_version=4)
    cwd = a.cwd or os.path.dirname(os.path.abspath(a.input))
    client = NotebookClient(
        nb, kernel_name=a.kernel, timeout=a.timeout, resources={"metadata": {"path": cwd}},
        store_widget_state=True,
    )
    failed = None
    try:
        client.execute()
    except CellExecutionError as e:
        failed = e
    save_atomic(nb, a.output)
    if a.html:
        body = offline_html(nb)
        d = os.path.dirname(os.path.abspath(a.html))
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".html.tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(body)
        os.chmod(tmp, 0o644)
        os.replace(tmp, a.html)
    if failed:
        print(f"run_notebook: a cell failed in {a.input}:\n{failed}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

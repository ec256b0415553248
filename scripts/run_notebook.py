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
        from nbconvert import HTMLExporter
        body, _ = HTMLExporter().from_notebook_node(nb)
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

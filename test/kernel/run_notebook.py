"""Executes a notebook with nbclient on the neardup kernel and writes the executed copy.

Usage: python run_notebook.py <in.ipynb> <out.ipynb> <kernel-cwd>
"""
import sys

import nbformat
from nbclient import NotebookClient

src, dst, cwd = sys.argv[1:4]
nb = nbformat.read(src, as_version=4)
client = NotebookClient(nb, kernel_name="neardup", timeout=300, startup_timeout=120,
                        store_widget_state=True, resources={"metadata": {"path": cwd}})
client.execute()
nbformat.write(nb, dst)

"""Writes a small Hugging Face image dataset with the `datasets` library itself, for the `hf:` tests.

Usage: python make_hf_dataset.py <out>

From real photos (test/fixtures/imagededup), with an `Image` column and a `ClassLabel`:
  <out>/folder/data/{train,test}-00000-of-00001.parquet  (Dataset.to_parquet, as the Hub stores them)
  <out>/hub/datasets--neardup--photos/...                 (the Hub cache layout that huggingface_hub
      writes: blobs/<sha256> holding the files, snapshots/<commit>/<path> relative symlinks to them,
      refs/main naming the commit; push_to_hub needs the network, so the layout is reproduced here)
  <out>/expected.json                                     (what the tests compare against)
"""
import hashlib
import json
import os
import sys

from datasets import ClassLabel, Dataset, DatasetDict, Features, Image, Value

HERE = os.path.dirname(os.path.abspath(__file__))
PHOTOS = os.path.join(HERE, "..", "fixtures", "imagededup")
NAMES = ["photo", "copy"]


def rows(files, label):
    out = []
    for f in files:
        with open(os.path.join(PHOTOS, f), "rb") as fh:
            out.append({"image": {"bytes": fh.read(), "path": os.path.basename(f)}, "label": label, "source": f})
    return out


def main(out):
    base = sorted(os.listdir(os.path.join(PHOTOS, "base_images")))
    train = rows([f"base_images/{f}" for f in base], 0)
    test = rows(
        [
            "mixed_images/ukbench00120_hflip.jpg",
            "mixed_images/ukbench00120_resize.jpg",
            "formats_images/ukbench09380.png",
            "mixed_images/ukbench09268_corrupt.jpg",
        ],
        1,
    )
    features = Features({"image": Image(), "label": ClassLabel(names=NAMES), "source": Value("string")})
    dd = DatasetDict({s: Dataset.from_list(r, features=features) for s, r in (("train", train), ("test", test))})

    folder = os.path.join(out, "folder", "data")
    os.makedirs(folder, exist_ok=True)
    files = {}
    for split, ds in dd.items():
        name = f"{split}-00000-of-00001.parquet"
        ds.to_parquet(os.path.join(folder, name))
        files[f"data/{name}"] = os.path.join(folder, name)

    # The Hub cache: models--/datasets--<owner>--<name>/{blobs,refs,snapshots}.
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = os.path.join(out, "hub", "datasets--neardup--photos")
    os.makedirs(os.path.join(repo, "blobs"), exist_ok=True)
    os.makedirs(os.path.join(repo, "refs"), exist_ok=True)
    with open(os.path.join(repo, "refs", "main"), "w") as fh:
        fh.write(commit)
    sha = {}
    for rel, src in files.items():
        data = open(src, "rb").read()
        digest = hashlib.sha256(data).hexdigest()
        sha[rel] = {"sha256": digest, "size": len(data)}
        blob = os.path.join(repo, "blobs", digest)
        with open(blob, "wb") as fh:
            fh.write(data)
        link = os.path.join(repo, "snapshots", commit, rel)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.relpath(blob, os.path.dirname(link)), link)

    expected = {
        "commit": commit,
        "label_names": NAMES,
        "files": sha,
        "splits": {s: [{"path": r["image"]["path"], "label": r["label"], "source": r["source"]} for r in rs]
                   for s, rs in (("train", train), ("test", test))},
    }
    with open(os.path.join(out, "expected.json"), "w") as fh:
        json.dump(expected, fh, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])

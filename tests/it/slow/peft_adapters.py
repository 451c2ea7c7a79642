"""Makes PEFT LoRA adapters for a base GGUF's architecture, as a trainer saves them, with B filled
with random numbers (PEFT starts B at zero, which would make every comparison pass).

Usage: python peft_adapters.py make BASE.gguf OUT_DIR
Writes OUT_DIR/base/config.json (the base's Hugging Face config: what llama.cpp's
convert_lora_to_gguf.py reads with --base) and one PEFT directory per variant under OUT_DIR,
each with scaling.json: PEFT's own factor for each module (`scaling["default"]` of the layer),
the number every conversion must fold in.

Usage: python peft_adapters.py compare VARIANT_DIR OURS.gguf LLAMA_CPP.gguf
Prints, as JSON, both files' alpha and each tensor's name and shape in both, with the largest
difference of A, and of B once llama.cpp's B is multiplied by the factor llama.cpp applies at
run time (its alpha over the rank) and by PEFT's factor. Needs the `gguf` package."""
import json
import pathlib
import sys

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoConfig, AutoModelForCausalLM

ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

VARIANTS = {
    # The local backend's recipe: alpha / r.
    "plain": dict(r=8, lora_alpha=16, target_modules=ALL_LINEAR),
    # alpha / sqrt(r).
    "rslora": dict(r=8, lora_alpha=16, use_rslora=True, target_modules=ALL_LINEAR),
    # Per-module rank and alpha; a subset of modules.
    "patterns": dict(
        r=4,
        lora_alpha=8,
        target_modules=["q_proj", "k_proj", "v_proj", "down_proj"],
        rank_pattern={"k_proj": 2, "down_proj": 6},
        alpha_pattern={"v_proj": 3, "down_proj": 24},
    ),
}


def make(gguf_path, out):
    config = AutoConfig.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    torch.manual_seed(0)
    for name, settings in VARIANTS.items():
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        # llama.cpp's converter picks its model class by the config's `architectures`.
        config.architectures = [type(model).__name__]
        config.save_pretrained(out / "base")
        peft = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", **settings))
        scaling = {}
        with torch.no_grad():
            for module_name, module in peft.named_modules():
                if hasattr(module, "lora_B") and "default" in module.lora_B:
                    module.lora_B["default"].weight.normal_(0.0, 0.05)
                    short = module_name.removeprefix("base_model.model.")
                    scaling[short] = float(module.scaling["default"])
        peft.save_pretrained(out / name)
        (out / name / "scaling.json").write_text(json.dumps(scaling, indent=1))


def compare(variant, ours_path, theirs_path):
    import gguf
    import numpy

    def read(path):
        reader = gguf.GGUFReader(path)
        alpha = reader.fields["adapter.lora.alpha"]
        tensors = {t.name: numpy.asarray(t.data, dtype=numpy.float64) for t in reader.tensors}
        return float(alpha.parts[alpha.data[0]][0]), tensors

    peft_scaling = json.loads((variant / "scaling.json").read_text())
    ours_alpha, ours = read(ours_path)
    theirs_alpha, theirs = read(theirs_path)
    module_of = module_names(peft_scaling)
    rows = []
    for name in sorted(set(ours) | set(theirs)):
        row = {"name": name, "ours": list(ours[name].shape) if name in ours else None,
               "theirs": list(theirs[name].shape) if name in theirs else None}
        if row["ours"] is not None and row["ours"] == row["theirs"]:
            if name.endswith(".lora_a"):
                row["a"] = float(numpy.abs(ours[name] - theirs[name]).max())
            else:
                rank = theirs[name].shape[-1]
                b = theirs[name]
                scale_of = lambda factor: float(numpy.abs(ours[name] - b * factor).max() / numpy.abs(b * factor).max())
                row["b_llama_cpp_runtime"] = scale_of(theirs_alpha / rank)
                row["b_peft"] = scale_of(peft_scaling[module_of[name.removesuffix(".lora_b")]])
        rows.append(row)
    print(json.dumps({"ours_alpha": ours_alpha, "theirs_alpha": theirs_alpha, "tensors": rows}))


def module_names(peft_scaling):
    """llama.cpp's tensor name of each PEFT module of the Llama layout."""
    short = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
             "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
             "mlp.down_proj": "ffn_down"}
    names = {}
    for module in peft_scaling:
        _, _, layer, inner = module.split(".", 3)
        names[f"blk.{layer}.{short[inner]}.weight"] = module
    return names


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]))
    else:
        compare(*map(pathlib.Path, sys.argv[2:5]))

# Retort's trainer: a LoRA adapter trained with TRL's SFTTrainer and PEFT on PyTorch, on the
# examples Retort tokenized with the same llama.cpp tokenizer and chat template it serves with
# (data/tokens.jsonl: input_ids and completion_mask, 1 on the answer and its end token), so that
# what is trained is, token for token, what is asked at extraction. Written by Retort into the
# run's directory and run there (here, or on a GPU box over ssh): python sft.py config.json.
#
# The base is a GGUF file (dequantized by transformers' own GGUF reader; a fresh model is built
# from its config and weights, since transformers trains no GGUF-quantized model) or a Hugging
# Face model directory. The loss is on the answer tokens only. The adapter goes to output/.
import json
import math
import os
import signal
import sys


def load_base(base, dtype):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if base.endswith(".gguf"):
        directory, name = os.path.split(os.path.abspath(base))
        tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
        read = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32)
        config = read.config
        config.__dict__.pop("quantization_config", None)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        model.load_state_dict(read.state_dict(), strict=True)
        del read
        model = model.to(dtype)
    else:
        tokenizer = AutoTokenizer.from_pretrained(base)
        model = AutoModelForCausalLM.from_pretrained(base, dtype=dtype)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def examples(path):
    from datasets import Dataset

    rows = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                rows.append({"input_ids": row["input_ids"], "completion_mask": row["completion_mask"]})
    return Dataset.from_list(rows)


def main():
    # The Trainer's logged dicts go to stdout, which Python block-buffers into train.log: each
    # step's loss would reach Retort kilobytes late. One line, one write.
    sys.stdout.reconfigure(line_buffering=True)
    with open(sys.argv[1], encoding="utf-8") as f:
        config = json.load(f)
    import torch

    if config.get("threads"):
        torch.set_num_threads(int(config["threads"]))
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    gpu = torch.cuda.is_available()
    bf16 = gpu and torch.cuda.is_bf16_supported()
    model, tokenizer = load_base(config["base"], torch.bfloat16 if bf16 else torch.float32)
    train = examples(config["train"])
    valid = examples(config["valid"]) if config.get("valid") else None
    batch = int(config["batch_size"])
    steps_per_epoch = math.ceil(len(train) / (batch * int(config["gradient_accumulation"])))
    print(f"retort: {len(train)} examples, {steps_per_epoch} steps per epoch, on {'a GPU' if gpu else 'the CPU'}", flush=True)
    arguments = SFTConfig(
        output_dir=config["output_dir"],
        num_train_epochs=float(config["epochs"]),
        per_device_train_batch_size=batch,
        gradient_accumulation_steps=int(config["gradient_accumulation"]),
        learning_rate=float(config["learning_rate"]),
        lr_scheduler_type="linear",
        # A twentieth of the steps: a few-step run must not spend its first steps at rate 0.
        warmup_steps=int(steps_per_epoch * float(config["epochs"]) * float(config.get("warmup_share", 0.05))),
        logging_steps=int(config["logging_steps"]),
        save_strategy="no",
        eval_strategy="epoch" if valid is not None else "no",
        per_device_eval_batch_size=batch,
        report_to=[],
        seed=int(config["seed"]),
        completion_only_loss=True,
        max_length=int(config["max_length"]),
        bf16=bf16,
        use_cpu=not gpu,
        dataloader_num_workers=0,
    )
    lora = LoraConfig(
        r=int(config["lora_rank"]),
        lora_alpha=int(config["lora_alpha"]),
        lora_dropout=float(config.get("lora_dropout", 0.0)),
        target_modules=config.get("target_modules", "all-linear"),
        bias="none",
        task_type="CAUSAL_LM",
    )
    trainer = SFTTrainer(
        model=model,
        args=arguments,
        train_dataset=train,
        eval_dataset=valid,
        processing_class=tokenizer,
        peft_config=lora,
    )
    # `retort train cancel` sends SIGTERM to the run's process group: stop at once, whatever
    # handler a library installed meanwhile (one that only saves a checkpoint would keep going).
    # The default action, not a Python handler: a handler runs only between bytecodes, and one
    # backward pass on a busy CPU is a single call of a minute or more.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    trainer.train()
    trainer.model.save_pretrained(config["output_dir"], safe_serialization=True)
    print(f"retort: adapter saved in {config['output_dir']}", flush=True)


if __name__ == "__main__":
    main()

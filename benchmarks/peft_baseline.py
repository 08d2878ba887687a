#!/usr/bin/env python3
"""PyTorch + PEFT baseline for the DePT benchmark: writes one JSON object in schema "dept-bench/1" with
implementation "pytorch" (the schema is benchmarks/README.md (Result schema); the C# harness writes the same schema as "dept").

What it measures, per row (model shape x method x batch x padding):
  frozen  T5 with no prompt: forward + backward down to inputs_embeds, no optimiser (the floor);
  pt      PEFT prompt tuning: peft.get_peft_model(model, PromptTuningConfig(SEQ_2_SEQ_LM, L=100, RANDOM));
  dept    DePT (m, r) in plain PyTorch as the official DePT code computes it: E = embed(ids);
          E' = E + scale * (A[:L] @ B) repeated over the batch, scale = alpha / sqrt(r) (alpha 8); the prompt P
          concatenated in front; T5ForConditionalGeneration(inputs_embeds=..., attention_mask=..., labels=...).
          A is s x r with s = --input-len; fixed-padding rows use all of A (inputs padded to s, as the official
          code does), dynamic-padding rows use A[:L] with L the longest example of the batch.
Models: T5 v1.0 shapes (ReLU, vocab 32128, dropout 0.1) built from T5Config in code, random weights (no
downloads), bf16, frozen, train() mode for the training step and eval() for generation. LLaMA shapes (llama-2-7b,
llama-3-8b; LlamaForCausalLM from LlamaConfig, default attention) run as causal LMs: each example is input_len source
tokens then target_len target tokens with labels on the target only (-100 elsewhere); pt is PEFT's CAUSAL_LM prompt
tuning (prompt first, its labels -100); dept adds scale * A[:T] @ B to all T = input_len + target_len token rows (A has
T rows, so trainable = m*d + r*(T + d)); generation continues the source alone by target_len tokens. LLaMA rows take
fixed padding only. Prompt parameters
(PEFT's prompt embedding, DePT's P, A, B) stay fp32; PEFT and the DePT code cast the prompt to bf16 in forward.
Optimiser: torch.optim.AdamW, groups prompt lr 3e-1 / low-rank lr 1e-4, betas (0.9, 0.999), eps 1e-6, wd 0,
LambdaLR linear warm-up 500 then linear decay, clip_grad_norm_ 1.0 over the trainable parameters.
Timing: torch.cuda.Event around each step after warm-up; median / p10 / p90. Peak memory:
torch.cuda.reset_peak_memory_stats() before the warm-up, torch.cuda.max_memory_allocated() after the timed loop
(model weights included). Driver delta: torch.cuda.mem_get_info() free bytes before the model was built minus free
bytes after the timed loop (weights + caching allocator reserve + library workspaces). Inference: generate() of
--target-len tokens (greedy, min_new_tokens = max_new_tokens so every run decodes the same number of steps),
median latency over --infer-runs runs after 2 warm-up runs. Ceilings: 8192^3 bf16 matmul and a 1 GiB
device-to-device copy (read + write bytes), measured at the start of the same run. FLOPs: training_step_flops(),
the benchmarks/README.md (Result schema) formula.

Data: per example a real length drawn with Python's random.Random from
[--dynamic-range lo * input_len, hi * input_len] (default 0.25..0.75 of 256, i.e. 64..192), random token ids
(fixed seed) and random target ids. Fixed-padding rows pad every example to input_len (256); dynamic-padding rows
pad to the longest example of the batch and carry the extra key "padded_len". Every method sees the same batch.

Usage (on the GPU machine; needs torch, transformers, peft; no network):
  python3 benchmarks/peft_baseline.py --models llama-2-7b,llama-3-8b --batches 8 --input-len 512 --target-len 64 \
      --methods pt,dept:64x32 --padding fixed --steps 10 --infer-runs 3 --budget-seconds 560 --out $OUT/pytorch-llama.json
  python3 benchmarks/peft_baseline.py --quick --out $OUT/pytorch.json       # ~60-90 s, capped by --budget-seconds 110
  python3 benchmarks/peft_baseline.py --out $OUT/pytorch-full.json          # full plan, capped at 560 s
  python3 benchmarks/peft_baseline.py --out $OUT/p.json --models t5-3b      # one model of the full plan
  python3 benchmarks/peft_baseline.py --quick --plan                        # print rows and FLOPs; no torch needed
Quick plan: t5-base and t5-large, batch 32, input 256, target 8, fixed padding, methods frozen, pt (L=100),
dept (60, 30); 3 warm-up + 20 timed steps. Full plan: t5-small, t5-base, t5-large (batches 8 and 32) and t5-3b
(batch 8 only), methods frozen, pt, dept (60,30), (40,45), (80,15), fixed and dynamic padding; 50 timed steps.
--models / --batches / --methods (e.g. "frozen,pt,dept:60x30") / --padding override the plan.

Time budget: the run stops itself. Each row gets at most twice its fair share of the remaining budget (the timed
loop and the generate loop end early, keeping at least 5 steps and 3 runs); rows left when the budget is spent, or
rows that fail (torch.cuda.OutOfMemoryError included), are written with "error" and null measurements. The JSON is
rewritten after every row, so a killed run still leaves the rows done so far. Exit status 0 when at least one row
was measured, 1 otherwise, 2 on bad arguments or a missing CUDA device / library.

Keys beyond benchmarks/README.md (Result schema): rows may carry "error" (string, measurements null) and, for dynamic padding,
"padded_len". All "software" values are strings (versions and notes).
"""

from __future__ import annotations

import time

SCRIPT_START = time.perf_counter()  # the budget counts the imports too

import argparse  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import NoReturn  # noqa: E402

SCHEMA = "dept-bench/1"
IMPLEMENTATION = "pytorch"
PINNED = {"torch": "2.11", "transformers": "5.17", "peft": "0.21"}

VOCAB = 32128
PAD_ID = 0
EOS_ID = 1
DECODER_START_ID = 0
FIRST_ORDINARY_ID = 3  # 0..2 are pad / eos / unk in T5
DROPOUT = 0.1
GIB = float(1 << 30)
MIN_TIMED_STEPS = 5
MIN_INFER_RUNS = 3
INFER_WARMUP_RUNS = 2
CEILING_MATMUL_N = 8192
CEILING_COPY_BYTES = 1 << 30


@dataclass(frozen=True)
class T5Shape:
    """Published T5 v1.0 dimensions; inner attention width is num_heads * d_kv."""

    name: str
    d_model: int
    d_kv: int
    d_ff: int
    num_layers: int
    num_heads: int

    family = "t5"


@dataclass(frozen=True)
class LlamaShape:
    """Published Llama dimensions (head width d_model / num_heads); the rope parameters as transformers 5.x takes them."""

    name: str
    d_model: int
    d_ff: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    vocab: int
    rope: tuple  # ((key, value), ...): hashable, turned into rope_parameters

    family = "llama"

    @property
    def d_kv(self) -> int:
        return self.d_model // self.num_heads


LLAMA_SHAPES = {
    "llama-2-7b": LlamaShape("llama-2-7b", d_model=4096, d_ff=11008, num_layers=32, num_heads=32, num_kv_heads=32,
                             vocab=32000, rope=(("rope_type", "default"), ("rope_theta", 10000.0))),
    "llama-3-8b": LlamaShape("llama-3-8b", d_model=4096, d_ff=14336, num_layers=32, num_heads=32, num_kv_heads=8,
                             vocab=128256, rope=(("rope_type", "llama3"), ("rope_theta", 500000.0), ("factor", 8.0),
                                                 ("low_freq_factor", 1.0), ("high_freq_factor", 4.0),
                                                 ("original_max_position_embeddings", 8192))),
}

T5_SHAPES = {
    "t5-small": T5Shape("t5-small", d_model=512, d_kv=64, d_ff=2048, num_layers=6, num_heads=8),
    "t5-base": T5Shape("t5-base", d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12),
    "t5-large": T5Shape("t5-large", d_model=1024, d_kv=64, d_ff=4096, num_layers=24, num_heads=16),
    "t5-3b": T5Shape("t5-3b", d_model=1024, d_kv=128, d_ff=16384, num_layers=24, num_heads=32),
}


SHAPES = {**T5_SHAPES, **LLAMA_SHAPES}


@dataclass(frozen=True)
class Method:
    kind: str  # "frozen" | "pt" | "dept"
    prompt_len: int  # frozen 0, pt L, dept m
    rank: int  # dept r, else 0

    @property
    def label(self) -> str:
        return f"dept({self.prompt_len},{self.rank})" if self.kind == "dept" else self.kind


@dataclass(frozen=True)
class RowPlan:
    shape: T5Shape | LlamaShape
    method: Method
    batch: int
    dynamic: bool


# ----------------------------------------------------------------------------------------------------------------
# FLOPs: the one place this script counts them (benchmarks/README.md (Result schema))


def training_step_flops(shape, batch: int, encoder_len: int, decoder_len: int, vocab: int = VOCAB) -> int:
    """FLOPs of one training step with frozen weights, as benchmarks/README.md (Result schema) counts them.
    LLaMA shapes: llama_training_step_flops over the encoder_len + decoder_len rows of each example.

    Linear layer: 2*rows*in*out forward and the same again backward (input gradient only, no weight gradient).
    Attention: 2*2*B*H*Tq*Tk*dh forward (QK^T and PV), twice that backward. LM head: 2*B*T_dec*d*V forward, the
    same backward. Every encoder and decoder layer is counted, including the decoder's cross-attention K/V
    projections of the encoder output (rows B*T_enc, once per decoder layer). Norms, softmax, embeddings, dropout,
    position bias, the DePT low-rank product and the optimiser are not counted.
    """
    if shape.family == "llama":
        return llama_training_step_flops(shape, batch, encoder_len + decoder_len, decoder_len)
    d = shape.d_model
    inner = shape.num_heads * shape.d_kv
    enc_rows = batch * encoder_len
    dec_rows = batch * decoder_len
    ffn_matrices = 2  # ReLU (v1.0): wi, wo

    def linear(rows: int, n_in: int, n_out: int) -> int:
        return 2 * rows * n_in * n_out

    def attention(t_q: int, t_k: int) -> int:
        return 2 * 2 * batch * shape.num_heads * t_q * t_k * shape.d_kv

    encoder_linear = shape.num_layers * (
        4 * linear(enc_rows, d, inner)  # q, k, v, o
        + ffn_matrices * linear(enc_rows, d, shape.d_ff)
    )
    decoder_linear = shape.num_layers * (
        4 * linear(dec_rows, d, inner)  # self-attention q, k, v, o
        + 2 * linear(dec_rows, d, inner)  # cross-attention q, o
        + 2 * linear(enc_rows, d, inner)  # cross-attention k, v of the encoder output
        + ffn_matrices * linear(dec_rows, d, shape.d_ff)
    )
    lm_head = linear(dec_rows, d, vocab)
    encoder_attention = shape.num_layers * attention(encoder_len, encoder_len)
    decoder_attention = shape.num_layers * (attention(decoder_len, decoder_len) + attention(decoder_len, encoder_len))
    forward_linear = encoder_linear + decoder_linear + lm_head
    forward_attention = encoder_attention + decoder_attention
    return 2 * forward_linear + 3 * forward_attention


def llama_training_step_flops(shape: LlamaShape, batch: int, length: int, scored: int) -> int:
    """Causal LM of `length` rows per example (prompt included): q, o (d x H*dh), k, v (d x Hkv*dh), gate and up
    (d x F), down (F x d) per layer, full T x T attention scores (as the unfused kernels compute them), and the LM head on
    the `scored` (target) rows the loss reads: the useful work (transformers computes it on every row); linear 2x
    forward, attention 3x forward, head 2x forward, as for T5."""
    rows = batch * length
    d, inner, kv = shape.d_model, shape.num_heads * shape.d_kv, shape.num_kv_heads * shape.d_kv

    def linear(n_in: int, n_out: int) -> int:
        return 2 * rows * n_in * n_out

    layer_linear = 2 * linear(d, inner) + 2 * linear(d, kv) + 2 * linear(d, shape.d_ff) + linear(shape.d_ff, d)
    attention = 2 * 2 * batch * shape.num_heads * length * length * shape.d_kv
    forward_linear = shape.num_layers * layer_linear + 2 * batch * scored * d * shape.vocab
    return 2 * forward_linear + 3 * shape.num_layers * attention


def lowrank_rows(shape, args: argparse.Namespace) -> int:
    """Rows of A: every input position (T5: the encoder's input_len; a causal LM reads the target tokens too)."""
    return args.input_len + (args.target_len if shape.family == "llama" else 0)


def trainable_params(method: Method, d_model: int, input_len: int) -> int:
    """Parameters that shape the output: pt L*d; dept m*d + r*(s + d); frozen 0."""
    if method.kind == "pt":
        return method.prompt_len * d_model
    if method.kind == "dept":
        return method.prompt_len * d_model + method.rank * (input_len + d_model)
    return 0


# ----------------------------------------------------------------------------------------------------------------
# Plan


def parse_methods(text: str, pt_len: int) -> list[Method]:
    methods = []
    for item in (part.strip() for part in text.split(",")):
        if item == "frozen":
            methods.append(Method("frozen", 0, 0))
        elif item == "pt":
            methods.append(Method("pt", pt_len, 0))
        elif item.startswith("dept:"):
            try:
                m_text, r_text = item[len("dept:"):].lower().split("x")
                m, r = int(m_text), int(r_text)
            except ValueError:
                fail(f"--methods item '{item}' is not dept:MxR (e.g. dept:60x30)")
            if m < 0 or r <= 0:
                fail(f"--methods item '{item}': need m >= 0 and r > 0")
            methods.append(Method("dept", m, r))
        else:
            fail(f"--methods item '{item}' is not frozen, pt or dept:MxR")
    if not methods:
        fail("--methods is empty")
    return methods


def parse_int_list(text: str, flag: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        fail(f"{flag} '{text}' is not a comma-separated list of integers")
    if not values or any(value <= 0 for value in values):
        fail(f"{flag} '{text}' needs positive integers")
    return values


def build_plan(args: argparse.Namespace) -> list[RowPlan]:
    if args.models:
        names = [name.strip() for name in args.models.split(",") if name.strip()]
    else:
        names = ["t5-base", "t5-large"] if args.quick else ["t5-small", "t5-base", "t5-large", "t5-3b"]
    unknown = [name for name in names if name not in SHAPES]
    if unknown:
        fail(f"unknown model(s) {unknown}; known: {sorted(SHAPES)}")

    default_methods = "frozen,pt,dept:60x30" if args.quick else "frozen,pt,dept:60x30,dept:40x45,dept:80x15"
    methods = parse_methods(args.methods or default_methods, args.pt_len)
    padding = args.padding or ("fixed" if args.quick else "both")
    dynamics = {"fixed": [False], "dynamic": [True], "both": [False, True]}[padding]
    if any(SHAPES[name].family == "llama" for name in names) and True in dynamics:
        fail("LLaMA shapes take --padding fixed (a causal LM's source and target are one sequence)")

    plan = []
    for name in names:
        if args.batches:
            batches = parse_int_list(args.batches, "--batches")
        elif args.quick:
            batches = [32]
        else:
            batches = [8] if name == "t5-3b" else [8, 32]
        for batch in batches:
            for dynamic in dynamics:
                for method in methods:
                    plan.append(RowPlan(SHAPES[name], method, batch, dynamic))
    return plan


def example_lengths(args: argparse.Namespace, batch: int) -> list[int]:
    """Real lengths of the batch's examples: Python's Mersenne Twister, so --plan needs no torch."""
    low = max(1, round(args.dynamic_range[0] * args.input_len))
    high = max(low, min(args.input_len, round(args.dynamic_range[1] * args.input_len)))
    rng = random.Random(args.seed * 1_000_003 + batch)
    return [rng.randint(low, high) for _ in range(batch)]


def padded_length(args: argparse.Namespace, rp: RowPlan) -> int:
    return max(example_lengths(args, rp.batch)) if rp.dynamic else args.input_len


# ----------------------------------------------------------------------------------------------------------------
# Output


def fail(message: str) -> NoReturn:
    """Bad arguments or a missing device/library: exit status 2 with the reason on stderr."""
    print(f"peft_baseline: {message}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def log(message: str) -> None:
    print(f"[{time.perf_counter() - SCRIPT_START:7.1f}s] {message}", flush=True)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def finite_or_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def skeleton_row(args: argparse.Namespace, rp: RowPlan) -> dict:
    row = {
        "model": rp.shape.name,
        "method": rp.method.kind,
        "prompt_len": rp.method.prompt_len,
        "rank": rp.method.rank,
        "trainable_params": trainable_params(rp.method, rp.shape.d_model, lowrank_rows(rp.shape, args)),
        "batch": rp.batch,
        "input_len": args.input_len,
        "target_len": args.target_len,
        "dynamic_padding": rp.dynamic,
        "train_step_ms": None,
        "train_step_ms_p10": None,
        "train_step_ms_p90": None,
        "timed_steps": 0,
        "peak_gib": None,
        "peak_gib_driver": None,
        "train_tokens_per_s": None,
        "step_tflop": None,
        "achieved_tflops": None,
        "infer_ms": None,
        "infer_sequences_per_s": None,
    }
    if rp.dynamic:
        row["padded_len"] = padded_length(args, rp)
    return row


def write_document(path: Path, document: dict) -> None:
    """Temporary file, then rename: a reader never sees half a document."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    clean = dict(document)
    clean["rows"] = [{key: finite_or_none(value) for key, value in row.items()} for row in document["rows"]]
    temporary.write_text(json.dumps(clean, indent=2) + "\n")
    os.replace(temporary, path)


def git_commit(explicit: str | None) -> str:
    if explicit:
        return explicit
    if os.environ.get("DEPT_COMMIT"):
        return os.environ["DEPT_COMMIT"]
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                                cwd=Path(__file__).resolve().parent)
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def print_table(rows: list[dict]) -> None:
    header = (f"{'model':<9} {'method':<12} {'B':>3} {'pad':>5} {'step ms':>8} {'p10-p90':>15} {'n':>3} "
              f"{'peak GiB':>8} {'drv GiB':>8} {'tok/s':>9} {'TFLOP/s':>8} {'infer ms':>9}  error")
    print(header, flush=True)
    print("-" * len(header), flush=True)

    def number(value, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    for row in rows:
        method = row["method"] if row["method"] != "dept" else f"dept({row['prompt_len']},{row['rank']})"
        padding = f"{row['padded_len']}" if row["dynamic_padding"] else "fixed"
        spread = (f"{row['train_step_ms_p10']:.1f}-{row['train_step_ms_p90']:.1f}"
                  if row["train_step_ms_p10"] is not None else "-")
        print(f"{row['model']:<9} {method:<12} {row['batch']:>3} {padding:>5} {number(row['train_step_ms'], '.2f'):>8} "
              f"{spread:>15} {row['timed_steps']:>3} {number(row['peak_gib'], '.2f'):>8} "
              f"{number(row['peak_gib_driver'], '.2f'):>8} {number(row['train_tokens_per_s'], '.0f'):>9} "
              f"{number(row['achieved_tflops'], '.1f'):>8} {number(row['infer_ms'], '.2f'):>9}  "
              f"{row.get('error', '')}", flush=True)


# ----------------------------------------------------------------------------------------------------------------
# Arguments


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="quick plan: t5-base, t5-large, batch 32, 3 methods")
    parser.add_argument("--out", type=Path, help="JSON file to write (rewritten after every row)")
    parser.add_argument("--plan", action="store_true", help="print the rows and their FLOPs, then exit")
    parser.add_argument("--models", help="comma list of t5-small,t5-base,t5-large,t5-3b")
    parser.add_argument("--batches", help="comma list of batch sizes (for every model)")
    parser.add_argument("--methods", help="comma list of frozen, pt, dept:MxR")
    parser.add_argument("--padding", choices=["fixed", "dynamic", "both"])
    parser.add_argument("--input-len", type=int, default=256, help="s: padded input length and rows of A")
    parser.add_argument("--target-len", type=int, default=8)
    parser.add_argument("--pt-len", type=int, default=100, help="vanilla prompt length L")
    parser.add_argument("--dynamic-range", default="0.25,0.75",
                        help="real example lengths are drawn from [lo*input_len, hi*input_len]")
    parser.add_argument("--warmup", type=int, default=3, help="untimed training steps per row")
    parser.add_argument("--steps", type=int, help="timed training steps per row (quick 20, full 50)")
    parser.add_argument("--infer-runs", type=int, default=10, help="timed generate() calls per row")
    parser.add_argument("--budget-seconds", type=float, help="wall-clock cap of the whole run (quick 110, full 560)")
    parser.add_argument("--min-row-seconds", type=float, default=4.0,
                        help="a row is skipped when less than this is left of the budget")
    parser.add_argument("--lr-prompt", type=float, default=3e-1)
    parser.add_argument("--lr-lowrank", type=float, default=1e-4)
    parser.add_argument("--alpha", type=float, default=8.0, help="DePT scale = alpha / sqrt(r)")
    parser.add_argument("--warmup-steps", type=int, default=500, help="learning-rate warm-up steps")
    parser.add_argument("--schedule-steps", type=int, default=30000, help="steps at which the linear decay ends")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--commit", help="commit to record (default: git rev-parse HEAD, $DEPT_COMMIT, 'unknown')")
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args(argv)

    if not args.plan and args.out is None:
        parser.error("--out is required (or --plan)")
    if args.steps is None:
        args.steps = 20 if args.quick else 50
    if args.budget_seconds is None:
        args.budget_seconds = 110.0 if args.quick else 560.0
    try:
        low, high = (float(part) for part in args.dynamic_range.split(","))
    except ValueError:
        parser.error(f"--dynamic-range '{args.dynamic_range}' is not two comma-separated fractions")
    if not 0.0 < low <= high <= 1.0:
        parser.error(f"--dynamic-range '{args.dynamic_range}' needs 0 < lo <= hi <= 1")
    args.dynamic_range = (low, high)
    for name in ("input_len", "target_len", "pt_len", "steps", "infer_runs", "schedule_steps"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    if args.warmup < 0 or args.warmup_steps < 0:
        parser.error("--warmup and --warmup-steps must not be negative")
    if args.steps < MIN_TIMED_STEPS:
        parser.error(f"--steps must be at least {MIN_TIMED_STEPS}")
    if args.schedule_steps <= args.warmup_steps:
        parser.error(f"--schedule-steps ({args.schedule_steps}) must exceed --warmup-steps ({args.warmup_steps})")
    return args


def print_plan(args: argparse.Namespace, plan: list[RowPlan]) -> None:
    print(f"{len(plan)} rows; input_len {args.input_len}, target_len {args.target_len}, "
          f"dynamic lengths {args.dynamic_range}", flush=True)
    for rp in plan:
        padded = padded_length(args, rp)
        encoder_len = rp.method.prompt_len + padded
        flops = training_step_flops(rp.shape, rp.batch, encoder_len, args.target_len)
        print(f"  {rp.shape.name:<9} {rp.method.label:<12} B={rp.batch:<3} "
              f"{'dynamic' if rp.dynamic else 'fixed':<7} T_enc={encoder_len:<4} "
              f"trainable={trainable_params(rp.method, rp.shape.d_model, lowrank_rows(rp.shape, args)):<7} "
              f"step_tflop={flops / 1e12:.4f}", flush=True)


# ----------------------------------------------------------------------------------------------------------------
# GPU part (torch, transformers and peft are imported only here, so --plan and py_compile need none of them)

torch = None
transformers = None
peft = None
PEFT_IMPORT_ERROR = None


def import_libraries() -> None:
    global torch, transformers, peft, PEFT_IMPORT_ERROR
    try:
        import torch as torch_module
        import transformers as transformers_module
    except ImportError as exc:
        fail(f"cannot import torch/transformers ({exc}); run on the GPU machine")
    torch = torch_module
    transformers = transformers_module
    try:
        import peft as peft_module

        peft = peft_module
    except ImportError as exc:  # frozen and dept rows still run; pt rows get an error
        PEFT_IMPORT_ERROR = f"{type(exc).__name__}: {exc}"


def versions() -> dict[str, str]:
    found = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": str(torch.version.cuda),
        "cudnn": str(torch.backends.cudnn.version()),
        "transformers": transformers.__version__,
        "peft": peft.__version__ if peft is not None else f"absent ({PEFT_IMPORT_ERROR})",
    }
    return found


def warn_on_versions(found: dict[str, str]) -> None:
    for name, wanted in PINNED.items():
        if not found[name].startswith(wanted):
            log(f"WARNING: {name} {found[name]} (this script was written against {wanted}.x)")


def cleanup_cuda() -> None:
    gc.collect()
    torch.cuda.synchronize()
    torch.cuda.empty_cache()


def measure_ceilings(device) -> dict:
    """bf16 GEMM rate (8192^3) and device-to-device copy rate (read + write bytes), median of timed runs."""
    n = CEILING_MATMUL_N
    generator = torch.Generator(device=device).manual_seed(1)
    a = torch.randn((n, n), device=device, dtype=torch.bfloat16, generator=generator)
    b = torch.randn((n, n), device=device, dtype=torch.bfloat16, generator=generator)
    c = torch.empty((n, n), device=device, dtype=torch.bfloat16)
    for _ in range(3):
        torch.mm(a, b, out=c)
    matmul_ms = []
    for _ in range(10):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        torch.mm(a, b, out=c)
        end.record()
        end.synchronize()
        matmul_ms.append(start.elapsed_time(end))
    del a, b, c

    source = torch.empty(CEILING_COPY_BYTES // 4, device=device, dtype=torch.float32).uniform_()
    target = torch.empty_like(source)
    for _ in range(3):
        target.copy_(source)
    copy_ms = []
    for _ in range(20):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        target.copy_(source)
        end.record()
        end.synchronize()
        copy_ms.append(start.elapsed_time(end))
    del source, target
    cleanup_cuda()

    tflops = 2.0 * n**3 / (quantile(matmul_ms, 0.5) / 1e3) / 1e12
    gbps = 2.0 * CEILING_COPY_BYTES / (quantile(copy_ms, 0.5) / 1e3) / 1e9
    return {"bf16_matmul_tflops": round(tflops, 1), "copy_gbps": round(gbps, 1)}


def build_model(shape, args: argparse.Namespace, device):
    """Random-weight T5 v1.0 (or LlamaForCausalLM) of the published shape, bf16, frozen, train() mode, on the device."""
    from transformers import LlamaConfig, LlamaForCausalLM, T5ForConditionalGeneration

    if shape.family == "llama":
        model_class = LlamaForCausalLM
        config = LlamaConfig(
            vocab_size=shape.vocab,
            hidden_size=shape.d_model,
            intermediate_size=shape.d_ff,
            num_hidden_layers=shape.num_layers,
            num_attention_heads=shape.num_heads,
            num_key_value_heads=shape.num_kv_heads,
            hidden_act="silu",
            max_position_embeddings=8192,
            rms_norm_eps=1e-5,
            rope_parameters=dict(shape.rope),
            attention_dropout=0.0,
            tie_word_embeddings=False,
            bos_token_id=1,
            eos_token_id=EOS_ID,
            pad_token_id=PAD_ID,
        )
    else:
        model_class = T5ForConditionalGeneration
        config = t5_config(shape)
    torch.manual_seed(args.seed)
    try:
        with torch.device(device):  # initialising on the GPU takes seconds where the CPU takes minutes for 3B
            model = model_class(config)
    except Exception as exc:  # noqa: BLE001 - any failure of the fast path falls back to the plain one
        log(f"  building {shape.name} on {device} failed ({type(exc).__name__}: {exc}); building on the CPU")
        gc.collect()
        model = model_class(config).to(device)
    model = model.to(dtype=torch.bfloat16)
    model.requires_grad_(False)
    model.train()
    for name, parameter in model.named_parameters():
        if parameter.dtype != torch.bfloat16 or parameter.device.type != torch.device(device).type:
            raise RuntimeError(f"{shape.name}: parameter {name} is {parameter.dtype} on {parameter.device}")
    return model


def t5_config(shape: T5Shape):
    from transformers import T5Config

    return T5Config(
        vocab_size=VOCAB,
        d_model=shape.d_model,
        d_kv=shape.d_kv,
        d_ff=shape.d_ff,
        num_layers=shape.num_layers,
        num_decoder_layers=shape.num_layers,
        num_heads=shape.num_heads,
        relative_attention_num_buckets=32,
        relative_attention_max_distance=128,
        dropout_rate=DROPOUT,
        layer_norm_epsilon=1e-6,
        initializer_factor=1.0,
        feed_forward_proj="relu",
        tie_word_embeddings=True,
        is_encoder_decoder=True,
        pad_token_id=PAD_ID,
        eos_token_id=EOS_ID,
        decoder_start_token_id=DECODER_START_ID,
    )


def make_causal_batch(args: argparse.Namespace, rp: RowPlan, device):
    """Causal LM: source ids (B, input_len) with their mask, and the training sequence source + target (B, input_len +
    target_len) with its mask and labels (-100 on the source); the same for every method."""
    generator = torch.Generator().manual_seed(args.seed * 7919 + rp.batch)
    source = torch.randint(FIRST_ORDINARY_ID, rp.shape.vocab, (rp.batch, args.input_len), generator=generator)
    target = torch.randint(FIRST_ORDINARY_ID, rp.shape.vocab, (rp.batch, args.target_len), generator=generator)
    sequence = torch.cat((source, target), dim=1)
    labels = torch.cat((torch.full_like(source, -100), target), dim=1)
    return (source.to(device), torch.ones_like(source).to(device), sequence.to(device),
            torch.ones_like(sequence).to(device), labels.to(device))


def make_batch(args: argparse.Namespace, rp: RowPlan, device):
    """input_ids / attention_mask right-padded to padded_length(), labels; the same for every method."""
    lengths = example_lengths(args, rp.batch)
    padded = padded_length(args, rp)
    generator = torch.Generator().manual_seed(args.seed * 7919 + rp.batch)
    ids = torch.randint(FIRST_ORDINARY_ID, VOCAB, (rp.batch, args.input_len), generator=generator)[:, :padded]
    labels = torch.randint(FIRST_ORDINARY_ID, VOCAB, (rp.batch, args.target_len), generator=generator)
    positions = torch.arange(padded).unsqueeze(0)
    mask = (positions < torch.tensor(lengths).unsqueeze(1)).to(torch.int64)
    ids = torch.where(mask.bool(), ids, torch.full_like(ids, PAD_ID))
    return ids.to(device), mask.to(device), labels.to(device), padded


def linear_schedule(args: argparse.Namespace):
    def factor(step: int) -> float:
        if step < args.warmup_steps:
            return float(step) / float(max(1, args.warmup_steps))
        return max(0.0, float(args.schedule_steps - step) / float(args.schedule_steps - args.warmup_steps))

    return factor


def remove_input_grad_hook(model) -> bool:
    """PEFT may register transformers' enable_input_require_grads hook on the shared base model; later rows must
    not inherit it. Returns whether it was there."""
    if getattr(model, "_require_grads_hook", None) is None:
        return False
    model.disable_input_require_grads()
    return True


class RowContext:
    """What every row of one model shares."""

    def __init__(self, args, model, device, free_before_model: int, notes: dict):
        self.args = args
        self.model = model
        self.device = device
        self.free_before_model = free_before_model
        self.notes = notes


def causal_lm_functions(ctx: RowContext, rp: RowPlan):
    """forward_loss, generate, trainable parameters, optimiser groups and the module to train of a LLaMA row."""
    args, model, device = ctx.args, ctx.model, ctx.device
    method, batch = rp.method, rp.batch
    source, source_mask, sequence, sequence_mask, labels = make_causal_batch(args, rp, device)
    embed = model.get_input_embeddings()
    generate_kwargs = dict(max_new_tokens=args.target_len, min_new_tokens=args.target_len, num_beams=1,
                           do_sample=False, pad_token_id=PAD_ID, eos_token_id=EOS_ID)
    if method.kind == "frozen":
        def forward_loss():
            inputs_embeds = embed(sequence).detach().requires_grad_(True)  # backward runs down to the inputs
            return model(inputs_embeds=inputs_embeds, attention_mask=sequence_mask, labels=labels, use_cache=False).loss

        def generate():
            return model.generate(input_ids=source, attention_mask=source_mask, **generate_kwargs)

        return forward_loss, generate, [], [], model
    if method.kind == "pt":
        if peft is None:
            raise RuntimeError(f"peft is not importable: {PEFT_IMPORT_ERROR}")
        from peft import PromptTuningConfig, PromptTuningInit, TaskType, get_peft_model

        config = PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=method.prompt_len,
                                    prompt_tuning_init=PromptTuningInit.RANDOM)
        peft_model = get_peft_model(model, config)
        trainable = [p for p in peft_model.parameters() if p.requires_grad]
        if not trainable:
            raise RuntimeError("get_peft_model left no trainable parameter")
        ctx.notes[f"pt_peft_trainable_{rp.shape.name}"] = f"{sum(p.numel() for p in trainable)} parameters"

        def forward_loss():
            return peft_model(input_ids=sequence, attention_mask=sequence_mask, labels=labels, use_cache=False).loss

        def generate():
            return peft_model.generate(input_ids=source, attention_mask=source_mask, **generate_kwargs)

        return forward_loss, generate, trainable, [{"params": trainable, "lr": args.lr_prompt}], peft_model

    m, r, d, s = method.prompt_len, method.rank, rp.shape.d_model, lowrank_rows(rp.shape, args)
    generator = torch.Generator(device=device).manual_seed(args.seed + 17)
    prompt = torch.nn.Parameter(torch.randn((m, d), device=device, dtype=torch.float32, generator=generator))
    bound = 1.0 / math.sqrt(r)
    lowrank_a = torch.nn.Parameter(
        (torch.rand((s, r), device=device, dtype=torch.float32, generator=generator) * 2.0 - 1.0) * bound)
    lowrank_b = torch.nn.Parameter(torch.zeros((r, d), device=device, dtype=torch.float32))
    scale = args.alpha / math.sqrt(r)

    def prompted(ids, mask):
        """PEFT's causal-LM placement: P first; E + scale * A[:T] @ B on the T token rows."""
        inputs_embeds = embed(ids)
        delta = (scale * (lowrank_a[: ids.shape[1]] @ lowrank_b)).to(inputs_embeds.dtype)
        inputs_embeds = inputs_embeds + delta.repeat(batch, 1, 1)
        prompts = prompt.unsqueeze(0).expand(batch, -1, -1).to(inputs_embeds.dtype)
        prefix = torch.ones(batch, m, dtype=mask.dtype, device=mask.device)
        return torch.cat((prompts, inputs_embeds), dim=1), torch.cat((prefix, mask), dim=1)

    prompt_labels = torch.cat((torch.full((batch, m), -100, dtype=labels.dtype, device=labels.device), labels), dim=1)

    def forward_loss():
        inputs_embeds, attention_mask = prompted(sequence, sequence_mask)
        return model(inputs_embeds=inputs_embeds, attention_mask=attention_mask, labels=prompt_labels,
                     use_cache=False).loss

    def generate():
        inputs_embeds, attention_mask = prompted(source, source_mask)
        return model.generate(inputs_embeds=inputs_embeds, attention_mask=attention_mask, **generate_kwargs)

    groups = [{"params": [prompt], "lr": args.lr_prompt}, {"params": [lowrank_a, lowrank_b], "lr": args.lr_lowrank}]
    return forward_loss, generate, [prompt, lowrank_a, lowrank_b], groups, model


def run_row(ctx: RowContext, rp: RowPlan, deadline: float) -> dict:
    args, model, device = ctx.args, ctx.model, ctx.device
    method = rp.method
    batch = rp.batch
    if rp.shape.family == "llama":
        forward_loss, generate, trainable, groups, module = causal_lm_functions(ctx, rp)
        return measure_row(ctx, rp, deadline, forward_loss, generate, trainable, groups, module, args.input_len)
    ids, mask, labels, padded = make_batch(args, rp, device)
    embed = model.get_input_embeddings()
    generate_kwargs = dict(
        max_new_tokens=args.target_len,
        min_new_tokens=args.target_len,
        num_beams=1,
        do_sample=False,
        decoder_start_token_id=DECODER_START_ID,
        pad_token_id=PAD_ID,
        eos_token_id=EOS_ID,
    )
    trainable = []
    groups = []
    peft_model = None
    module = model

    if method.kind == "frozen":
        def forward_loss():
            inputs_embeds = embed(ids).detach().requires_grad_(True)  # backward runs down to the inputs
            return model(inputs_embeds=inputs_embeds, attention_mask=mask, labels=labels, use_cache=False).loss

        def generate():
            return model.generate(inputs_embeds=embed(ids), attention_mask=mask, **generate_kwargs)

    elif method.kind == "pt":
        if peft is None:
            raise RuntimeError(f"peft is not importable: {PEFT_IMPORT_ERROR}")
        from peft import PromptTuningConfig, PromptTuningInit, TaskType, get_peft_model

        config = PromptTuningConfig(
            task_type=TaskType.SEQ_2_SEQ_LM,
            num_virtual_tokens=method.prompt_len,
            prompt_tuning_init=PromptTuningInit.RANDOM,
        )
        peft_model = get_peft_model(model, config)
        module = peft_model
        ctx.notes["pt_peft_input_require_grads_hook"] = (
            "yes" if getattr(model, "_require_grads_hook", None) is not None else "no")
        trainable = [p for p in peft_model.parameters() if p.requires_grad]
        if not trainable:
            raise RuntimeError("get_peft_model left no trainable parameter")
        dtypes = sorted({str(p.dtype) for p in trainable})
        counted = sum(p.numel() for p in trainable)
        ctx.notes[f"pt_peft_trainable_{rp.shape.name}"] = (
            f"{counted} parameters in {dtypes} (PEFT allocates num_transformer_submodules x L rows for "
            f"SEQ_2_SEQ_LM and uses the first L; rows report L*d = {method.prompt_len * rp.shape.d_model})")
        groups = [{"params": trainable, "lr": args.lr_prompt}]

        def forward_loss():
            return peft_model(input_ids=ids, attention_mask=mask, labels=labels, use_cache=False).loss

        def generate():
            return peft_model.generate(input_ids=ids, attention_mask=mask, **generate_kwargs)

    else:
        m, r, d, s = method.prompt_len, method.rank, rp.shape.d_model, args.input_len
        generator = torch.Generator(device=device).manual_seed(args.seed + 17)
        prompt = torch.nn.Parameter(torch.randn((m, d), device=device, dtype=torch.float32, generator=generator))
        bound = 1.0 / math.sqrt(r)  # kaiming_uniform_(a=sqrt(5)) on an (s, r) tensor, as the official code does
        lowrank_a = torch.nn.Parameter(
            (torch.rand((s, r), device=device, dtype=torch.float32, generator=generator) * 2.0 - 1.0) * bound)
        lowrank_b = torch.nn.Parameter(torch.zeros((r, d), device=device, dtype=torch.float32))
        scale = args.alpha / math.sqrt(r)
        trainable = [prompt, lowrank_a, lowrank_b]
        groups = [{"params": [prompt], "lr": args.lr_prompt}, {"params": [lowrank_a, lowrank_b], "lr": args.lr_lowrank}]

        def encoder_inputs():
            inputs_embeds = embed(ids)
            length = ids.shape[1]
            delta = (scale * (lowrank_a[:length] @ lowrank_b)).to(inputs_embeds.dtype)
            inputs_embeds = inputs_embeds + delta.repeat(batch, 1, 1)
            prompts = prompt.unsqueeze(0).expand(batch, -1, -1).to(inputs_embeds.dtype)
            prefix_mask = torch.ones(batch, m).to(mask.device)
            return torch.cat((prompts, inputs_embeds), dim=1), torch.cat((prefix_mask, mask), dim=1)

        def forward_loss():
            inputs_embeds, attention_mask = encoder_inputs()
            return model(inputs_embeds=inputs_embeds, attention_mask=attention_mask, labels=labels,
                         use_cache=False).loss

        def generate():
            inputs_embeds, attention_mask = encoder_inputs()
            return model.generate(inputs_embeds=inputs_embeds, attention_mask=attention_mask, **generate_kwargs)

    return measure_row(ctx, rp, deadline, forward_loss, generate, trainable, groups, module, padded)


def measure_row(ctx: RowContext, rp: RowPlan, deadline: float, forward_loss, generate, trainable, groups, module,
                padded: int) -> dict:
    """Times the training step and generation of one row (either family); returns its measured keys."""
    args, model, method, batch = ctx.args, ctx.model, rp.method, rp.batch
    optimizer = None
    scheduler = None
    if groups:
        optimizer = torch.optim.AdamW(groups, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_schedule(args))

    def step():
        if optimizer is not None:
            optimizer.zero_grad(set_to_none=True)
        loss = forward_loss()
        loss.backward()
        if optimizer is not None:
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
        return loss

    try:
        # Training: warm-up, then CUDA events around each step.
        module.train()
        cleanup_cuda()
        torch.cuda.reset_peak_memory_stats()
        loss = None
        for _ in range(args.warmup):
            loss = step()
        torch.cuda.synchronize()
        if loss is not None and not math.isfinite(float(loss.detach())):
            log(f"  note: loss after warm-up is {float(loss.detach())} (random weights); timing is unaffected")
        events = []
        for index in range(args.steps):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            step()
            end.record()
            events.append((start, end))
            if index + 1 >= MIN_TIMED_STEPS and time.perf_counter() > deadline:
                log(f"  row deadline reached after {index + 1} timed steps")
                break
        torch.cuda.synchronize()
        step_ms = [start.elapsed_time(end) for start, end in events]
        peak_bytes = torch.cuda.max_memory_allocated()
        free_after, _ = torch.cuda.mem_get_info()
        if optimizer is not None:
            optimizer.zero_grad(set_to_none=True)

        # Inference: eval mode, greedy decode of target_len tokens.
        module.eval()
        infer_ms = []
        with torch.no_grad():
            output = None
            for _ in range(INFER_WARMUP_RUNS):
                output = generate()
            torch.cuda.synchronize()
            for index in range(args.infer_runs):
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                output = generate()
                end.record()
                end.synchronize()
                infer_ms.append(start.elapsed_time(end))
                if index + 1 >= MIN_INFER_RUNS and time.perf_counter() > deadline:
                    log(f"  row deadline reached after {index + 1} generate runs")
                    break
        sequences = output.sequences if hasattr(output, "sequences") else output
        # T5: start id + target; causal LM: the target (from inputs_embeds) or source + target (from input_ids)
        expected = [args.target_len + 1] if rp.shape.family == "t5" else [args.target_len, args.input_len + args.target_len]
        if sequences.shape[0] != batch or sequences.shape[1] not in expected:
            log(f"  WARNING: generate returned shape {tuple(sequences.shape)}, expected {batch} rows of {expected}")
    finally:
        module.train()
        if method.kind == "pt":
            remove_input_grad_hook(model)

    step_median = quantile(step_ms, 0.5)
    step_seconds = step_median / 1e3
    infer_median = quantile(infer_ms, 0.5)
    flops = training_step_flops(rp.shape, batch, method.prompt_len + padded, args.target_len)
    tokens = batch * (method.prompt_len + args.input_len + args.target_len)
    return {
        "train_step_ms": round(step_median, 4),
        "train_step_ms_p10": round(quantile(step_ms, 0.1), 4),
        "train_step_ms_p90": round(quantile(step_ms, 0.9), 4),
        "timed_steps": len(step_ms),
        "peak_gib": round(peak_bytes / GIB, 4),
        "peak_gib_driver": round((ctx.free_before_model - free_after) / GIB, 4),
        "train_tokens_per_s": round(tokens / step_seconds, 1),
        "step_tflop": round(flops / 1e12, 9),
        "achieved_tflops": round(flops / 1e12 / step_seconds, 3),
        "infer_ms": round(infer_median, 4),
        "infer_sequences_per_s": round(batch / (infer_median / 1e3), 2),
    }


def run_row_guarded(ctx: RowContext, rp: RowPlan, rows_left: int, budget_end: float) -> dict:
    row = skeleton_row(ctx.args, rp)
    now = time.perf_counter()
    remaining = budget_end - now
    if remaining < ctx.args.min_row_seconds:
        row["error"] = f"skipped: {ctx.args.budget_seconds:.0f} s time budget spent"
        return row
    deadline = now + min(remaining, max(ctx.args.min_row_seconds, 2.0 * remaining / rows_left))
    error = None
    try:
        row.update(run_row(ctx, rp, deadline))
    except torch.cuda.OutOfMemoryError as exc:
        error = "out of memory: " + str(exc).splitlines()[0]
    except Exception as exc:  # noqa: BLE001 - one failed row must not lose the others
        traceback.print_exc()
        error = f"{type(exc).__name__}: {exc}"
    if error is not None:  # the exception (and the tensors its frames held) is gone here
        row["error"] = error[:600]
    cleanup_cuda()
    return row


def describe(row: dict) -> str:
    method = row["method"] if row["method"] != "dept" else f"dept({row['prompt_len']},{row['rank']})"
    where = f"{row['model']} {method} B={row['batch']} {'dynamic' if row['dynamic_padding'] else 'fixed'}"
    if "error" in row:
        return f"{where}: ERROR {row['error']}"
    return (f"{where}: step {row['train_step_ms']:.2f} ms (p10 {row['train_step_ms_p10']:.2f}, "
            f"p90 {row['train_step_ms_p90']:.2f}, n={row['timed_steps']}), peak {row['peak_gib']:.2f} GiB "
            f"(driver {row['peak_gib_driver']:.2f}), {row['achieved_tflops']:.1f} TFLOP/s, "
            f"infer {row['infer_ms']:.2f} ms")


def run(args: argparse.Namespace, plan: list[RowPlan]) -> int:
    import_libraries()
    budget_end = SCRIPT_START + args.budget_seconds
    if not torch.cuda.is_available():
        fail("torch sees no CUDA device; this benchmark needs the GPU machine")
    device = torch.device(args.device)
    if device.type != "cuda":
        fail(f"--device {args.device} is not a CUDA device")
    if device.index is not None:
        torch.cuda.set_device(device)

    found = versions()
    log("versions: " + ", ".join(f"{key} {value}" for key, value in found.items()))
    warn_on_versions(found)
    device_name = torch.cuda.get_device_name(device)
    log(f"device: {device_name}; {len(plan)} rows; budget {args.budget_seconds:.0f} s")

    notes = {
        "mode": "quick" if args.quick else "full",
        "note_weights": "T5 v1.0 shapes (ReLU, tied LM head), vocab 32128, dropout 0.1, random weights from "
                        "T5Config in code, bf16, requires_grad False; LLaMA shapes: LlamaForCausalLM from LlamaConfig "
                        "(published sizes, untied head, default attention implementation), bf16, requires_grad False",
        "note_prompt_dtype": "PEFT's prompt embedding stays fp32 (PEFT casts prompts to the input-embedding dtype "
                             "in forward); DePT's P, A, B are fp32 and cast to bf16 in forward",
        "note_frozen": "frozen rows: forward + backward down to inputs_embeds (a leaf requiring grad), no optimiser",
        "note_dept": "official-DePT style: E + (alpha/sqrt(r) * A[:L] @ B).repeat(B,1,1), alpha "
                     f"{args.alpha:g}; prompt concatenated in front; mask prefix torch.ones(B,m) as PEFT builds it",
        "note_optimizer": f"torch.optim.AdamW (foreach default), prompt lr {args.lr_prompt:g}, low-rank lr "
                          f"{args.lr_lowrank:g}, betas (0.9, 0.999), eps 1e-6, wd 0; LambdaLR warm-up "
                          f"{args.warmup_steps} then linear decay to 0 at {args.schedule_steps}; "
                          "clip_grad_norm_ 1.0; zero_grad(set_to_none=True)",
        "note_training": f"use_cache=False in training forwards; {args.warmup} warm-up steps, up to {args.steps} "
                         "timed steps (CUDA events per step), same batch every step",
        "note_inference": f"eval(); generate(max_new_tokens={args.target_len}, min_new_tokens={args.target_len}, "
                          f"num_beams=1, do_sample=False); frozen/dept: model.generate(inputs_embeds=...); pt: "
                          f"peft_model.generate(input_ids=...); median of up to {args.infer_runs} runs after "
                          f"{INFER_WARMUP_RUNS} warm-up",
        "note_memory": "peak_gib: max_memory_allocated after reset_peak_memory_stats before warm-up (weights "
                       "included); peak_gib_driver: mem_get_info free before building the model minus free after "
                       "the timed loop",
        "note_data": f"real lengths uniform in [{args.dynamic_range[0]:g}, {args.dynamic_range[1]:g}] x input_len "
                     f"(Python random, seed {args.seed}); fixed rows pad to input_len, dynamic rows to the batch "
                     "maximum (padded_len); train_tokens_per_s uses input_len as benchmarks/README.md (Result schema) says",
        "note_flops": "training_step_flops(): benchmarks/README.md (Result schema) formula, linear 2x forward, attention 3x forward, "
                      "LM head 2x forward, every encoder/decoder layer, encoder length = prompt_len + padded length",
    }
    document = {
        "schema": SCHEMA,
        "implementation": IMPLEMENTATION,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": git_commit(args.commit),
        "device": device_name,
        "software": {**found, **notes},
        "ceilings": {"bf16_matmul_tflops": None, "copy_gbps": None},
        "rows": [],
    }
    write_document(args.out, document)

    log("measuring ceilings (8192^3 bf16 matmul, 1 GiB device copy)")
    try:
        document["ceilings"] = measure_ceilings(device)
        log(f"ceilings: {document['ceilings']['bf16_matmul_tflops']} TFLOP/s bf16, "
            f"{document['ceilings']['copy_gbps']} GB/s copy")
    except Exception as exc:  # noqa: BLE001 - rows are still worth having without the ceilings
        traceback.print_exc()
        log(f"WARNING: ceilings failed: {type(exc).__name__}: {exc}")
        cleanup_cuda()
    write_document(args.out, document)

    index = 0
    while index < len(plan):
        shape = plan[index].shape
        group = []
        while index < len(plan) and plan[index].shape == shape:
            group.append(plan[index])
            index += 1

        if budget_end - time.perf_counter() < args.min_row_seconds:
            for rp in group:
                row = skeleton_row(args, rp)
                row["error"] = f"skipped: {args.budget_seconds:.0f} s time budget spent"
                document["rows"].append(row)
            log(f"{shape.name}: skipped, time budget spent")
            write_document(args.out, document)
            continue

        cleanup_cuda()
        free_before_model, _ = torch.cuda.mem_get_info()
        log(f"{shape.name}: building (d={shape.d_model}, layers={shape.num_layers}, heads={shape.num_heads}, "
            f"d_kv={shape.d_kv}, d_ff={shape.d_ff})")
        model = None
        build_error = None
        try:
            model = build_model(shape, args, device)
        except torch.cuda.OutOfMemoryError as exc:
            build_error = "out of memory building the model: " + str(exc).splitlines()[0]
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            build_error = f"building the model failed: {type(exc).__name__}: {exc}"
        if build_error is not None:
            cleanup_cuda()
            for rp in group:
                row = skeleton_row(args, rp)
                row["error"] = build_error[:600]
                document["rows"].append(row)
            log(f"{shape.name}: {build_error}")
            write_document(args.out, document)
            continue

        parameters = sum(p.numel() for p in model.parameters())
        document["software"].setdefault("attn_implementation", str(getattr(model.config, "_attn_implementation", "?")))
        log(f"{shape.name}: {parameters / 1e6:.1f} M parameters, "
            f"{torch.cuda.memory_allocated() / GIB:.2f} GiB allocated")
        ctx = RowContext(args, model, device, free_before_model, document["software"])
        for position, rp in enumerate(group):
            rows_left = len(plan) - (index - len(group)) - position
            row = run_row_guarded(ctx, rp, rows_left, budget_end)
            document["rows"].append(row)
            log(describe(row))
            write_document(args.out, document)
        del ctx, model
        cleanup_cuda()

    rows = document["rows"]
    measured = sum(1 for row in rows if "error" not in row)
    print(flush=True)
    print_table(rows)
    log(f"wrote {args.out}: {len(rows)} rows, {measured} measured, {len(rows) - measured} with errors")
    return 0 if measured > 0 else 1


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    plan = build_plan(args)
    if args.plan:
        print_plan(args, plan)
        return 0
    return run(args, plan)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

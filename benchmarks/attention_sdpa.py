#!/usr/bin/env python3
"""PyTorch's scaled_dot_product_attention, forward and forward+backward, on the shapes of our attention benchmark.

T5-Base heads (12 x 64), batch 32, lengths 316 and 2048, bf16 q, k, v (gradients for all three), scale 1 (T5), and the
same additive terms as our fused kernels get: T5's relative position bias (32 buckets, bidirectional, max distance 128,
from a random table, computed with transformers' bucket formula) plus the key padding mask (right padding: example b
keeps T - (7b mod T/4) keys, -inf past it), given to SDPA as one float attn_mask (B, H, T, T) in bf16, built once outside
the timing. Each SDPA backend that accepts the call (efficient, cuDNN, math) is timed with CUDA events after a warm-up,
median of the runs, with the peak memory above the inputs (torch.cuda.max_memory_allocated); the best is reported as
"best". Prints JSON (and writes it with --out).

    python3 benchmarks/attention_sdpa.py [--lengths 316 2048] [--batch 32] [--runs 20] [--out sdpa.json]
"""
import argparse
import json
import math
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel


def t5_bucket(relative, bidirectional=True, num_buckets=32, max_distance=128):
    # transformers' T5Attention._relative_position_bucket
    bucket = torch.zeros_like(relative)
    if bidirectional:
        num_buckets //= 2
        bucket += (relative > 0).to(torch.long) * num_buckets
        relative = torch.abs(relative)
    else:
        relative = -torch.min(relative, torch.zeros_like(relative))
    max_exact = num_buckets // 2
    is_small = relative < max_exact
    large = max_exact + (torch.log(relative.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)).to(torch.long)
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return bucket + torch.where(is_small, relative, large)


def additive_mask(batch, heads, length, device):
    generator = torch.Generator(device="cpu").manual_seed(11)
    table = (torch.rand(32, heads, generator=generator) * 2 - 1).to(device)
    positions = torch.arange(length, device=device)
    relative = positions[None, :] - positions[:, None]  # j - i
    bias = table[t5_bucket(relative)].permute(2, 0, 1)  # (H, T, T)
    keep = torch.zeros(batch, length, dtype=torch.bool, device=device)
    for b in range(batch):
        keep[b, : length - (7 * b) % max(1, length // 4)] = True
    pad = torch.zeros(batch, length, device=device).masked_fill(~keep, float("-inf"))
    # contiguous: the fused SDPA backends refuse a mask whose last dimension is strided (the permuted table leaves stride H)
    return (bias[None] + pad[:, None, None, :]).to(torch.bfloat16).contiguous()  # (B, H, T, T)


def time_ms(fn, runs, warmup=3):
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    times.sort()
    return times[len(times) // 2]


def measure(batch, heads, head_dim, length, runs, backend):
    device = "cuda"
    shape = (batch, heads, length, head_dim)
    q, k, v = (torch.empty(shape, device=device, dtype=torch.bfloat16).uniform_(-1, 1).requires_grad_() for _ in range(3))
    grad = torch.empty(shape, device=device, dtype=torch.bfloat16).uniform_(-1, 1)
    mask = additive_mask(batch, heads, length, device)

    def forward():
        with torch.no_grad(), sdpa_kernel([backend]):
            F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0)

    def forward_backward():
        with sdpa_kernel([backend]):
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0)
        out.backward(grad)
        q.grad = k.grad = v.grad = None

    forward_backward()  # fails here when the backend does not take the call
    torch.cuda.synchronize()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    both = time_ms(forward_backward, runs)
    peak = torch.cuda.max_memory_allocated() - base
    fwd = time_ms(forward, runs)
    flops = 14.0 * batch * heads * length * length * head_dim  # forward 4 B H T^2 dh, backward 10 B H T^2 dh
    return {
        "backend": backend.name, "batch": batch, "heads": heads, "head_dim": head_dim, "length": length,
        "forward_ms": fwd, "forward_backward_ms": both, "forward_backward_tflops": flops / (both * 1e-3) / 1e12,
        "peak_bytes_above_inputs": peak, "mask_bytes": mask.numel() * mask.element_size(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[316, 2048])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--heads", type=int, default=12)
    parser.add_argument("--head-dim", type=int, default=64)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out")
    args = parser.parse_args()
    rows, best = [], []
    for length in args.lengths:
        measured = []
        for backend in (SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION, SDPBackend.MATH):
            try:
                row = measure(args.batch, args.heads, args.head_dim, length, args.runs, backend)
            except RuntimeError as e:  # the backend does not take a float mask at this shape, or runs out of memory
                rows.append({"backend": backend.name, "length": length, "error": str(e).splitlines()[0]})
                torch.cuda.empty_cache()
                continue
            rows.append(row)
            measured.append(row)
            print(f"sdpa {backend.name:20s} T={length:5d}: forward {row['forward_ms']:8.3f} ms, forward+backward {row['forward_backward_ms']:8.3f} ms "
                  f"({row['forward_backward_tflops']:.1f} TFLOP/s), peak above inputs {row['peak_bytes_above_inputs'] / 2**20:.1f} MiB", file=sys.stderr)
            torch.cuda.empty_cache()
        if measured:
            best.append(dict(min(measured, key=lambda r: r["forward_backward_ms"]), best=True))
    result = {"benchmark": "attention_sdpa", "torch": torch.__version__, "device": torch.cuda.get_device_name(), "rows": rows, "best": best}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()

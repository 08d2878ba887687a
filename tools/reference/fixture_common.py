"""What make_fixtures.py and make_llama_fixtures.py share: the fixture format, the DePT prompt every fixture model gets,
the self-check helpers, and the driver steps around each script's own cases (arguments, torch settings, the stored
tensors and metadata, the size budget).

Importing this module sets CUBLAS_WORKSPACE_CONFIG before torch starts; import it before torch.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
from pathlib import Path

# Must be set before torch initialises cuBLAS, or deterministic mode refuses some CUDA matmuls.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

import numpy  # noqa: E402  (after the environment variable above)
import safetensors  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors import safe_open  # noqa: E402

FORMAT = "dept-reference"
FORMAT_VERSION = "1"
PINNED = {"torch": "2.11", "transformers": "5.17"}

# The DePT prompt of every fixture model.
PROMPT_LEN = 3  # m
LOWRANK_RANK = 2  # r
LOWRANK_MAX_LEN = 8  # s
LOWRANK_ALPHA = 8.0
LOWRANK_SCALE = LOWRANK_ALPHA / math.sqrt(LOWRANK_RANK)


class FixtureError(RuntimeError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise FixtureError(message)


def parse_args(argv: list[str], description: str, case_names: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path, help="output folder; one sub-folder per model is replaced")
    parser.add_argument("--device", default="cpu", help="torch device for the reference computation (cpu or cuda)")
    parser.add_argument("--only", action="append", choices=case_names, help="make only these cases")
    return parser.parse_args(argv)


def versions() -> dict[str, str]:
    found = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "safetensors": safetensors.__version__,
        "numpy": numpy.__version__,
    }
    try:
        import peft  # not used; recorded because the benchmark compares against it

        found["peft"] = peft.__version__
    except ImportError:
        found["peft"] = "absent"
    return found


def relative_error(actual, expected) -> float:
    denominator = expected.double().norm().item()
    difference = (actual.double() - expected.double()).norm().item()
    return difference / denominator if denominator > 0 else difference


def assert_close(actual, expected, rtol: float, what: str) -> None:
    check(actual.shape == expected.shape, f"{what}: shape {tuple(actual.shape)} != {tuple(expected.shape)}")
    error = relative_error(actual, expected)
    check(error <= rtol, f"{what}: relative error {error:.3e} > {rtol:.1e}")


def to_device(inputs: dict, dtype, device: str) -> dict:
    return {
        key: value.to(device=device, dtype=dtype) if value.is_floating_point() else value.to(device=device)
        for key, value in inputs.items()
        if isinstance(value, torch.Tensor)
    }


def check_saved_weights(name: str, weights_path: Path, state: dict) -> list[str]:
    """Every tensor of the safetensors file is F32 and equals the model's; returns the file's keys, sorted."""
    with safe_open(str(weights_path), framework="pt") as handle:
        keys = sorted(handle.keys())
        for key in keys:
            check(key in state, f"{name}: {weights_path.name} holds {key}, which the model does not have")
            dtype = handle.get_slice(key).get_dtype()
            check(dtype == "F32", f"{name}: {weights_path.name}:{key} is {dtype}, expected F32")
            stored = handle.get_tensor(key)
            check(torch.equal(stored, state[key].detach().cpu()), f"{name}: {key} on disk differs from the model")
    return keys


def check_finite_differences(name: str, seed: int, inputs: dict, results: dict, prompted_loss, step: float, rtol: float) -> None:
    """Directional derivatives of the prompted loss along random directions, central differences in float64.
    prompted_loss(inputs, prompt, lowrank_a, lowrank_b) returns the loss first."""
    generator = torch.Generator().manual_seed(seed + 3)
    for key, grad_key in (("prompt", "grad_prompt"), ("lowrank_a", "grad_lowrank_a"), ("lowrank_b", "grad_lowrank_b")):
        direction = torch.randn(inputs[key].shape, generator=generator).to(inputs[key])
        if key == "lowrank_a":
            direction[inputs["input_ids"].shape[1]:] = 0  # rows past L do not influence the loss
        analytic = (results[grad_key] * direction).sum().item()
        losses = []
        for sign in (1.0, -1.0):
            shifted = dict(inputs)
            shifted[key] = inputs[key] + sign * step * direction
            with torch.no_grad():
                loss = prompted_loss(shifted, shifted["prompt"], shifted["lowrank_a"], shifted["lowrank_b"])[0]
            losses.append(loss.item())
        numeric = (losses[0] - losses[1]) / (2 * step)
        error = abs(numeric - analytic) / max(abs(analytic), 1e-12)
        check(error < rtol,
              f"{name}: d(loss)/d({key}) along a random direction: autograd {analytic:.12e}, "
              f"finite differences {numeric:.12e}, relative error {error:.2e}")


def prompted_gradients(name: str, inputs: dict, prompted_loss) -> tuple[dict, object]:
    """Backward of the prompted loss to P, A, B and inputs_embeds. prompted_loss(inputs, prompt, lowrank_a, lowrank_b)
    returns (loss, inputs_embeds retaining its grad, the model's outputs); returns the loss, inputs_embeds and their
    gradients (detached), and those outputs."""
    prompt = inputs["prompt"].clone().requires_grad_(True)
    lowrank_a = inputs["lowrank_a"].clone().requires_grad_(True)
    lowrank_b = inputs["lowrank_b"].clone().requires_grad_(True)
    loss, inputs_embeds, outputs = prompted_loss(inputs, prompt, lowrank_a, lowrank_b)
    loss.backward()
    for what, tensor in (("prompt", prompt), ("lowrank_a", lowrank_a), ("lowrank_b", lowrank_b), ("inputs_embeds", inputs_embeds)):
        check(tensor.grad is not None, f"{name}: no gradient reached {what}")
    gradients = dict(
        loss=loss.detach().reshape(1),
        inputs_embeds=inputs_embeds.detach(),
        grad_inputs_embeds=inputs_embeds.grad.detach(),
        grad_prompt=prompt.grad.detach(),
        grad_lowrank_a=lowrank_a.grad.detach(),
        grad_lowrank_b=lowrank_b.grad.detach(),
    )
    return gradients, outputs


def start(tool: str, device: str, pinned_note: str = "") -> dict[str, str]:
    """Prints the versions (warning off the pinned ones) and sets torch up for a reproducible float64 reference."""
    found = versions()
    print(f"{tool}: " + ", ".join(f"{name} {version}" for name, version in found.items()))
    for name, pinned in PINNED.items():
        if not found[name].startswith(pinned):
            print(f"{tool}: WARNING: {name} {found[name]} is not the pinned {pinned}.x{pinned_note}")
    if device.startswith("cuda"):
        check(torch.cuda.is_available(), f"--device {device} but torch sees no CUDA device")
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    torch.use_deterministic_algorithms(True, warn_only=True)
    return found


def base_metadata(name: str, architecture: str, found_versions: dict, seed: int, device: str, pad_id: int) -> dict[str, str]:
    """The metadata every fixture carries before its own entries (format, versions, seed, compute settings, the prompt)."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "model": name,
        "architecture": architecture,
        "torch": found_versions["torch"],
        "transformers": found_versions["transformers"],
        "safetensors": found_versions["safetensors"],
        "python": found_versions["python"],
        "seed": str(seed),
        "compute_dtype": "float64",
        "compute_device": device,
        "attn_implementation": "eager",
        "pad_token_id": str(pad_id),
    }


def prompt_metadata() -> dict[str, str]:
    return {
        "prompt_len": str(PROMPT_LEN),
        "lowrank_rank": str(LOWRANK_RANK),
        "lowrank_max_len": str(LOWRANK_MAX_LEN),
        "lowrank_alpha": repr(LOWRANK_ALPHA),
        "lowrank_scale": repr(LOWRANK_SCALE),
    }


def stored_tensors(tensors: dict) -> dict:
    """As the fixture stores them: on the CPU, floats as float32, integers as int64, contiguous."""
    stored = {}
    for key, value in tensors.items():
        value = value.detach().cpu()
        stored[key] = (value.to(torch.float32) if value.is_floating_point() else value.to(torch.int64)).contiguous()
    return stored


def total_bytes(out: Path, case_dirs: list[Path]) -> int:
    """Prints every file written and returns their size in all."""
    total = 0
    for case_dir in case_dirs:
        for path in sorted(case_dir.iterdir()):
            size = path.stat().st_size
            total += size
            print(f"  {path.relative_to(out)}  {size} bytes")
    return total

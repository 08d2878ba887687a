#!/usr/bin/env python3
"""Reference fixtures for DePT.NET's decoder-only (LLaMA-family) runtime, computed with Hugging Face transformers.

For two tiny random causal LMs (Llama with grouped-query attention and Llama-3 rope scaling, untied head; Qwen2 with
q/k/v biases and a tied head) this script writes, under <out>/<name>/:
  config.json, model.safetensors (float32)   the model, as save_pretrained writes it
  generation_config.json                     written by save_pretrained; not used by the tests
  fixture.safetensors                        inputs, outputs, loss, gradients, greedy generation (format below)

The batch is LEFT-padded (lengths 7, 5, 4 padded to 7), with position ids counted over attended rows
(cumsum(mask) - 1, padded rows 1, as transformers' generate() makes them). The DePT input puts m prompt rows first (PEFT's
placement for causal LMs) and adds scale * A[j] B to the j-th real token of each example, whatever its padding (the
row offset of DePT.NET's fused input op); labels are the last three real tokens of each example, -100 elsewhere and on
the prompt rows. Logits at masked rows are written as 0: transformers attends uniformly there, DePT.NET gives zeros,
and nothing reads them.

The reference is computed in float64 with eager attention, and with transformers' two float32 islands (RMSNorm's
variance and eager attention's softmax) run in float64 instead, each checked against the original to 1e-6. Every
step checks itself (saved weights, reload, rope scaling against its formula, loss against cross-entropy, DePT gradient
formulas, finite differences, generate() against a step-by-step greedy decode without cache) and the script exits
non-zero on the first failed check. Seeds are tried in turn until greedy decoding keeps a top-1/top-2 gap of 1e-3.

Usage: python3 tools/reference/make_llama_fixtures.py --out tests/DePT.Tests/Fixtures/reference [--device cuda]
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixture_common import (  # noqa: E402  (sets CUBLAS_WORKSPACE_CONFIG before torch starts)
    LOWRANK_MAX_LEN, LOWRANK_RANK, LOWRANK_SCALE, PROMPT_LEN, FixtureError, assert_close, base_metadata, check,
    check_saved_weights, parse_args, prompt_metadata, prompted_gradients, relative_error, start, stored_tensors,
    to_device, total_bytes,
)
from fixture_common import check_finite_differences as check_directional_derivatives  # noqa: E402

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM  # noqa: E402

LENGTHS = (7, 5, 4)  # left-padded to max(LENGTHS)
# The last 3 tokens of each example are labelled; never an example's first token, which the row before it (padding or a
# prompt row) would have to predict, so no padded row is scored and its gradient is exactly 0.
TARGET_TOKENS = 3
IGNORE_INDEX = -100
MAX_NEW_TOKENS = 16
VOCAB = 96
PAD_ID = 0
FIRST_ORDINARY_ID = 3
MAX_TOTAL_BYTES = 1024 * 1024
MIN_GREEDY_MARGIN = 1e-3
SEED_ATTEMPTS = 32
FD_STEP = 1e-5
FD_RTOL = 1e-4


@dataclass(frozen=True)
class Case:
    name: str
    family: str  # "llama" or "qwen2"
    seed: int
    config: dict = field(default_factory=dict)


COMMON = dict(
    vocab_size=VOCAB,
    hidden_size=32,
    intermediate_size=48,
    num_hidden_layers=2,
    num_attention_heads=4,
    head_dim=8,
    hidden_act="silu",
    max_position_embeddings=64,
    rms_norm_eps=1e-6,
    attention_dropout=0.0,
    # 0.02 (the default) makes q.k so small that attention is nearly uniform and masking goes untested.
    initializer_range=0.2,
    pad_token_id=PAD_ID,
    bos_token_id=1,
    eos_token_id=None,  # no stop token: generation runs all MAX_NEW_TOKENS steps
)

CASES = (
    Case(
        name="llama_gqa",
        family="llama",
        seed=3000,
        config=dict(
            COMMON,
            num_key_value_heads=2,
            tie_word_embeddings=False,
            # Llama-3 scaling with a short original context: with head_dim 8 the wavelengths are 6.3, 63, 628 and 6283,
            # so the first lies between 16/4 and 16/1 (smoothed) and the other three are divided by the factor.
            rope_parameters=dict(rope_type="llama3", rope_theta=10000.0, factor=4.0, low_freq_factor=1.0,
                                 high_freq_factor=4.0, original_max_position_embeddings=16),
        ),
    ),
    Case(
        name="qwen2",
        family="qwen2",
        seed=4000,
        config=dict(
            COMMON,
            num_key_value_heads=2,
            tie_word_embeddings=True,
            use_sliding_window=False,
            rope_parameters=dict(rope_type="default", rope_theta=1000000.0),
        ),
    ),
)


# ----------------------------------------------------------------------------------------------------------------
# Models


def model_class(case: Case):
    return LlamaForCausalLM if case.family == "llama" else Qwen2ForCausalLM


def build_model(case: Case, seed: int):
    """Random float32 model: HF init, constant parameters (norm gains, biases) redrawn, every value rounded to bf16."""
    torch.manual_seed(seed)
    config_class = LlamaConfig if case.family == "llama" else Qwen2Config
    model = model_class(case)(config_class(**case.config))
    model.eval()
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            check(parameter.dtype == torch.float32, f"{case.name}: parameter {name} is {parameter.dtype}")
            if parameter.numel() > 1 and parameter.min() == parameter.max():
                if parameter.flatten()[0].item() == 1.0:  # norm gains
                    parameter.copy_(0.5 + torch.rand(parameter.shape, generator=generator))
                else:  # biases (zero at init)
                    parameter.copy_(0.1 * torch.randn(parameter.shape, generator=generator))
        for parameter in model.parameters():
            parameter.copy_(parameter.to(torch.bfloat16).to(torch.float32))
    if case.family == "qwen2":
        names = dict(model.named_parameters())
        check("model.layers.0.self_attn.k_proj.bias" in names, f"{case.name}: Qwen2 has no k_proj bias")
        check("model.layers.0.self_attn.o_proj.bias" not in names, f"{case.name}: Qwen2 has an o_proj bias")
    tied = model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    check(tied == case.config["tie_word_embeddings"], f"{case.name}: lm_head tied={tied}, config says {case.config['tie_word_embeddings']}")
    return model


def save_model(case: Case, model, case_dir: Path) -> list[str]:
    model.save_pretrained(str(case_dir))
    weights_path = case_dir / "model.safetensors"
    check(weights_path.is_file() and (case_dir / "config.json").is_file(), f"{case.name}: save_pretrained wrote no model.safetensors/config.json")
    check(not (case_dir / "model.safetensors.index.json").exists(), f"{case.name}: expected one safetensors file")
    keys = check_saved_weights(case.name, weights_path, model.state_dict())
    saved = json.loads((case_dir / "config.json").read_text())
    check(saved.get("num_key_value_heads") == case.config["num_key_value_heads"], f"{case.name}: config.json lost num_key_value_heads")
    return keys


def use_float64_rms_norm(case: Case, model) -> None:
    """LlamaRMSNorm/Qwen2RMSNorm compute in float32 whatever the input; for the float64 reference, in the input dtype."""

    def forward(self, hidden_states):
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        return self.weight * (hidden_states * torch.rsqrt(variance + self.variance_epsilon))

    norms = [module for module in model.modules() if type(module).__name__.endswith("RMSNorm")]
    check(len(norms) == 2 * case.config["num_hidden_layers"] + 1, f"{case.name}: found {len(norms)} RMS norms")
    probe = torch.randn((2, 3, case.config["hidden_size"]), generator=torch.Generator().manual_seed(11)).to(model.lm_head.weight)
    for norm in norms:
        check(hasattr(norm, "variance_epsilon") and hasattr(norm, "weight"), f"{case.name}: RMSNorm layout changed; revisit")
        with torch.no_grad():
            original = norm(probe)
        norm.forward = types.MethodType(forward, norm)
        with torch.no_grad():
            assert_close(norm(probe), original, 1e-6, f"{case.name}: float64 RMS norm vs transformers'")


@contextlib.contextmanager
def float64_softmax(counter: list):
    """Eager attention takes its softmax in float32 (dtype=torch.float32); inside this block a float64 input keeps float64."""
    original = torch.nn.functional.softmax

    def softmax(input, dim=None, _stacklevel=3, dtype=None):
        if input.dtype == torch.float64 and dtype == torch.float32:
            counter.append(1)
            dtype = None
        return original(input, dim=dim, dtype=dtype)

    torch.nn.functional.softmax = softmax
    try:
        yield
    finally:
        torch.nn.functional.softmax = original


def load_model(case: Case, case_dir: Path, built_state: dict, dtype, device: str):
    model = model_class(case).from_pretrained(str(case_dir), attn_implementation="eager")
    check(model.config._attn_implementation == "eager", f"{case.name}: could not select eager attention")
    model = model.to(device=device, dtype=dtype).eval()
    model.requires_grad_(False)
    state = model.state_dict()
    for key, tensor in built_state.items():
        check(key in state and torch.equal(state[key].cpu(), tensor.to(dtype)), f"{case.name}: reloaded {key} differs")
    if dtype == torch.float64:
        use_float64_rms_norm(case, model)
    return model


def expected_inverse_frequencies(case: Case) -> torch.Tensor:
    """What DePT.NET computes (RopeScaling.InverseFrequencies), written out: 1/theta^(2j/dh), then the scaling."""
    rope = case.config["rope_parameters"]
    dim = case.config["head_dim"]
    inv = 1.0 / (rope["rope_theta"] ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    if rope["rope_type"] != "llama3":
        return inv
    factor, low, high, old = rope["factor"], rope["low_freq_factor"], rope["high_freq_factor"], rope["original_max_position_embeddings"]
    result = []
    for value in inv.tolist():
        wavelength = 2 * math.pi / value
        if wavelength < old / high:
            result.append(value)
        elif wavelength > old / low:
            result.append(value / factor)
        else:
            smooth = (old / wavelength - low) / (high - low)
            result.append((1 - smooth) * value / factor + smooth * value)
    return torch.tensor(result, dtype=torch.float64)


def check_rotary(case: Case, model) -> None:
    rotary = model.model.rotary_emb
    expected_type = case.config["rope_parameters"]["rope_type"]
    check(getattr(rotary, "rope_type", None) == expected_type, f"{case.name}: rotary type {getattr(rotary, 'rope_type', None)}, expected {expected_type}")
    check(float(getattr(rotary, "attention_scaling", 1.0)) == 1.0, f"{case.name}: rotary attention scaling is not 1")
    assert_close(rotary.inv_freq.double().cpu(), expected_inverse_frequencies(case), 1e-6, f"{case.name}: inverse frequencies vs the formula")


# ----------------------------------------------------------------------------------------------------------------
# Inputs and computations


def make_inputs(case: Case, seed: int, word_embedding_std: float) -> dict:
    generator = torch.Generator().manual_seed(seed + 2)
    batch, length, d = len(LENGTHS), max(LENGTHS), case.config["hidden_size"]
    check(length <= LOWRANK_MAX_LEN, "input length exceeds lowrank_max_len")
    check(min(LENGTHS) > TARGET_TOKENS, "an example's first token would be labelled")
    input_ids = torch.full((batch, length), PAD_ID, dtype=torch.int64)
    attention_mask = torch.zeros((batch, length), dtype=torch.int64)
    labels = torch.full((batch, length), IGNORE_INDEX, dtype=torch.int64)
    for row, row_length in enumerate(LENGTHS):
        start = length - row_length
        input_ids[row, start:] = torch.randint(FIRST_ORDINARY_ID, VOCAB, (row_length,), generator=generator)
        attention_mask[row, start:] = 1
        labels[row, length - TARGET_TOKENS:] = input_ids[row, length - TARGET_TOKENS:]
    prompted_mask = torch.cat([torch.ones((batch, PROMPT_LEN), dtype=torch.int64), attention_mask], dim=1)
    bound = 1.0 / math.sqrt(LOWRANK_RANK)
    inputs = {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "labels": labels,
        "row_offsets": (attention_mask == 0).sum(dim=1),
        "position_ids": positions(attention_mask),
        "prompted_attention_mask": prompted_mask,
        "prompted_position_ids": positions(prompted_mask),
        "prompted_labels": torch.cat([torch.full((batch, PROMPT_LEN), IGNORE_INDEX, dtype=torch.int64), labels], dim=1),
        "prompt": word_embedding_std * torch.randn((PROMPT_LEN, d), generator=generator),
        "lowrank_a": (2 * torch.rand((LOWRANK_MAX_LEN, LOWRANK_RANK), generator=generator) - 1) * bound,
        "lowrank_b": 0.05 * torch.randn((LOWRANK_RANK, d), generator=generator),
    }
    return inputs


def positions(mask):
    """transformers' generate(): cumsum(mask) - 1, masked rows 1."""
    result = mask.long().cumsum(-1) - 1
    return result.masked_fill(mask == 0, 1)


def dept_inputs_embeds(model, inputs: dict, prompt, lowrank_a, lowrank_b):
    """concat(P, Emb[X] + scale A[j] B at the j-th real token of each example): B x (m+L) x d."""
    words = model.get_input_embeddings()(inputs["input_ids"])
    batch, length, _ = words.shape
    delta = LOWRANK_SCALE * (lowrank_a @ lowrank_b)
    rows = []
    for b in range(batch):
        offset = int(inputs["row_offsets"][b])
        shift = torch.cat([delta.new_zeros((offset, delta.shape[1])), delta[: length - offset]], dim=0)
        rows.append(words[b] + shift)
    return torch.cat([prompt.unsqueeze(0).expand(batch, -1, -1), torch.stack(rows)], dim=1)


def causal_lm_loss(logits, labels):
    """Row t scored against label t + 1, -100 ignored, mean: transformers' ForCausalLMLoss without its float32 cast."""
    vocab = logits.shape[-1]
    return torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, vocab), labels[:, 1:].reshape(-1), ignore_index=IGNORE_INDEX)


def zero_masked_rows(logits, mask):
    return logits * mask.unsqueeze(-1).to(logits.dtype)


def prompted_loss(model, inputs, prompt, lowrank_a, lowrank_b):
    inputs_embeds = dept_inputs_embeds(model, inputs, prompt, lowrank_a, lowrank_b)
    if inputs_embeds.requires_grad:
        inputs_embeds.retain_grad()
    output = model(inputs_embeds=inputs_embeds, attention_mask=inputs["prompted_attention_mask"],
                   position_ids=inputs["prompted_position_ids"], use_cache=False)
    return causal_lm_loss(output.logits, inputs["prompted_labels"]), inputs_embeds, output.logits


def prompted_forward_backward(case: Case, model, inputs: dict) -> dict:
    gradients, logits = prompted_gradients(case.name, inputs, lambda *args: prompted_loss(model, *args))
    return {"logits": zero_masked_rows(logits.detach(), inputs["prompted_attention_mask"]), **gradients}


def plain_forward(model, inputs: dict) -> dict:
    with torch.no_grad():
        output = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                       position_ids=inputs["position_ids"], use_cache=False)
    return {"logits_plain": zero_masked_rows(output.logits, inputs["attention_mask"])}


def greedy_generate(case: Case, model, inputs: dict):
    """generate() greedily (left padding, KV cache), then every step again without a cache. Returns (new ids, smallest gap)."""
    length = inputs["input_ids"].shape[1]
    with torch.no_grad():
        generated = model.generate(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                                   max_new_tokens=MAX_NEW_TOKENS, min_new_tokens=MAX_NEW_TOKENS, do_sample=False,
                                   num_beams=1, pad_token_id=PAD_ID, return_dict_in_generate=True)
        sequences = generated.sequences if hasattr(generated, "sequences") else generated
        check(tuple(sequences.shape) == (len(LENGTHS), length + MAX_NEW_TOKENS), f"{case.name}: generate returned {tuple(sequences.shape)}")
        new_ids = sequences[:, length:]
        ids, mask = inputs["input_ids"], inputs["attention_mask"]
        smallest_margin = math.inf
        for _ in range(MAX_NEW_TOKENS):
            logits = model(input_ids=ids, attention_mask=mask, position_ids=positions(mask), use_cache=False).logits[:, -1, :]
            top2 = logits.topk(2, dim=-1).values
            smallest_margin = min(smallest_margin, (top2[:, 0] - top2[:, 1]).min().item())
            next_ids = logits.argmax(dim=-1, keepdim=True)
            ids = torch.cat([ids, next_ids], dim=1)
            mask = torch.cat([mask, torch.ones_like(next_ids)], dim=1)
        check(torch.equal(ids[:, length:], new_ids),
              f"{case.name}: generate() gave {new_ids.tolist()}, step-by-step greedy with cumsum positions gave {ids[:, length:].tolist()}")
        check(bool((new_ids >= FIRST_ORDINARY_ID).any()), f"{case.name}: generation produced only special ids")
    return new_ids, smallest_margin


def check_semantics(case: Case, model, inputs: dict) -> None:
    """The model's own loss is the shifted cross-entropy; default position ids are not what a left-padded batch needs."""
    with torch.no_grad():
        output = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                       position_ids=inputs["position_ids"], labels=inputs["labels"], use_cache=False)
        mine = causal_lm_loss(output.logits, inputs["labels"])
        # transformers casts the logits to float32 for the loss, so agreement is to float32 rounding
        assert_close(output.loss.double().reshape(1), mine.double().reshape(1), 1e-6, f"{case.name}: model loss vs shifted cross-entropy")


def check_dept_gradient_formulas(case: Case, inputs: dict, results: dict) -> None:
    """dP = sum_b G[:, :m]; S[j] = sum_b G[b, m + o_b + j]; dA[:L] = scale S B^T; dB = scale A[:L]^T S."""
    grad = results["grad_inputs_embeds"]
    length = grad.shape[1] - PROMPT_LEN
    summed = grad.new_zeros((length, grad.shape[2]))
    for b in range(grad.shape[0]):
        offset = int(inputs["row_offsets"][b])
        summed[: length - offset] += grad[b, PROMPT_LEN + offset:]
    expected_a = inputs["lowrank_a"].new_zeros(inputs["lowrank_a"].shape)
    expected_a[:length] = LOWRANK_SCALE * summed @ inputs["lowrank_b"].T
    assert_close(results["grad_prompt"], grad[:, :PROMPT_LEN].sum(dim=0), 1e-12, f"{case.name}: dP vs formula")
    assert_close(results["grad_lowrank_a"], expected_a, 1e-12, f"{case.name}: dA vs formula (row offsets)")
    assert_close(results["grad_lowrank_b"], LOWRANK_SCALE * inputs["lowrank_a"][:length].T @ summed, 1e-12, f"{case.name}: dB vs formula")
    padded = inputs["prompted_attention_mask"] == 0
    check(grad[padded].abs().max().item() < 1e-12, f"{case.name}: gradient at padded rows is not zero")
    for key in ("grad_prompt", "grad_lowrank_a", "grad_lowrank_b", "grad_inputs_embeds"):
        check(results[key].abs().max().item() > 0, f"{case.name}: {key} is all zero")


def check_finite_differences(case: Case, model, inputs: dict, results: dict) -> None:
    check_directional_derivatives(case.name, case.seed, inputs, results,
                                  lambda *args: prompted_loss(model, *args), FD_STEP, FD_RTOL)


# ----------------------------------------------------------------------------------------------------------------
# Driver


def make_case(case: Case, out: Path, device: str, found_versions: dict) -> Path:
    case_dir = out / case.name
    for attempt in range(SEED_ATTEMPTS):
        seed = case.seed + 10 * attempt
        if case_dir.exists():
            shutil.rmtree(case_dir)
        case_dir.mkdir(parents=True)
        print(f"[{case.name}] seed {seed}: building and saving to {case_dir}")
        built = build_model(case, seed)
        keys = save_model(case, built, case_dir)
        word_embedding_std = built.get_input_embeddings().weight.std().item()
        built_state = {key: value.detach().clone() for key, value in built.state_dict().items()}
        del built

        model64 = load_model(case, case_dir, built_state, torch.float64, device)
        model32 = load_model(case, case_dir, built_state, torch.float32, device)
        check_rotary(case, model64)
        cpu_inputs = make_inputs(case, seed, word_embedding_std)
        inputs64 = to_device(cpu_inputs, torch.float64, device)
        inputs32 = to_device(cpu_inputs, torch.float32, device)

        softmax_calls: list = []
        with float64_softmax(softmax_calls):
            generated, margin = greedy_generate(case, model64, inputs64)
            if margin < MIN_GREEDY_MARGIN:
                print(f"  [{case.name}] seed {seed}: greedy gap {margin:.3e} < {MIN_GREEDY_MARGIN}; next seed")
                continue
            check_semantics(case, model64, inputs64)
            plain64 = plain_forward(model64, inputs64)
            prompted64 = prompted_forward_backward(case, model64, inputs64)
            check_dept_gradient_formulas(case, inputs64, prompted64)
            check_finite_differences(case, model64, inputs64, prompted64)
        check(len(softmax_calls) > 0, f"{case.name}: eager attention no longer calls torch.nn.functional.softmax(dtype=float32); revisit float64_softmax")
        plain32 = plain_forward(model32, inputs32)
        prompted32 = prompted_forward_backward(case, model32, inputs32)
        break
    else:
        raise FixtureError(f"{case.name}: no seed in {SEED_ATTEMPTS} attempts kept a greedy gap of {MIN_GREEDY_MARGIN}")

    outputs = {**plain64, **prompted64, "generated_ids": generated}
    for key, value in outputs.items():
        check(bool(torch.isfinite(value.double()).all()), f"{case.name}: {key} is not finite")
    fp32_errors = {key: relative_error(value, outputs[key]) for key, value in {**plain32, **prompted32}.items()}
    metadata = {
        **base_metadata(case.name, model_class(case).__name__, found_versions, seed, device, PAD_ID),
        "padding_side": "left",
        "ignore_index": str(IGNORE_INDEX),
        **prompt_metadata(),
        "loss": repr(outputs["loss"].item()),
        "max_new_tokens": str(MAX_NEW_TOKENS),
        "generation_min_margin": repr(margin),
        "fp32_relative_errors": json.dumps({k: float(f"{v:.3e}") for k, v in sorted(fp32_errors.items())}),
    }
    tensors = stored_tensors({**cpu_inputs, **outputs})
    check_fixture_shapes(case, tensors)
    save_file(tensors, str(case_dir / "fixture.safetensors"), metadata=metadata)
    print(f"  [{case.name}] {len(keys)} weight tensors; loss {metadata['loss']}; greedy gap {margin:.3e}")
    print(f"  [{case.name}] float32 vs float64: {metadata['fp32_relative_errors']}")
    print(f"  [{case.name}] generated_ids {tensors['generated_ids'].tolist()}")
    return case_dir


def check_fixture_shapes(case: Case, tensors: dict) -> None:
    batch, length, d = len(LENGTHS), max(LENGTHS), case.config["hidden_size"]
    total = PROMPT_LEN + length
    expected = {
        "input_ids": (batch, length), "attention_mask": (batch, length), "labels": (batch, length),
        "row_offsets": (batch,), "position_ids": (batch, length),
        "prompted_attention_mask": (batch, total), "prompted_position_ids": (batch, total), "prompted_labels": (batch, total),
        "prompt": (PROMPT_LEN, d), "lowrank_a": (LOWRANK_MAX_LEN, LOWRANK_RANK), "lowrank_b": (LOWRANK_RANK, d),
        "logits_plain": (batch, length, VOCAB), "logits": (batch, total, VOCAB), "loss": (1,),
        "inputs_embeds": (batch, total, d), "grad_inputs_embeds": (batch, total, d), "grad_prompt": (PROMPT_LEN, d),
        "grad_lowrank_a": (LOWRANK_MAX_LEN, LOWRANK_RANK), "grad_lowrank_b": (LOWRANK_RANK, d),
        "generated_ids": (batch, MAX_NEW_TOKENS),
    }
    check(set(tensors) == set(expected), f"{case.name}: fixture tensors {sorted(tensors)} differ from {sorted(expected)}")
    for key, shape in expected.items():
        check(tuple(tensors[key].shape) == shape, f"{case.name}: {key} has shape {tuple(tensors[key].shape)}, expected {shape}")


def main(argv: list[str]) -> int:
    args = parse_args(argv, __doc__, [c.name for c in CASES])
    found = start("make_llama_fixtures", args.device)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    case_dirs = [make_case(case, out, args.device, found) for case in CASES if not args.only or case.name in args.only]
    total = total_bytes(out, case_dirs)
    print(f"make_llama_fixtures: {len(case_dirs)} models, {total} bytes ({total / 1024:.1f} KiB) under {out}")
    check(total <= MAX_TOTAL_BYTES, f"fixtures take {total} bytes, over the {MAX_TOTAL_BYTES}-byte budget")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except FixtureError as error:
        print(f"make_llama_fixtures: FAILED: {error}", file=sys.stderr)
        sys.exit(1)

#!/usr/bin/env python3
"""Reference fixtures for DePT.NET, computed with Hugging Face transformers.

For three tiny random models (T5 v1.0 with ReLU and a tied, rescaled LM head; T5 v1.1 with gated GELU and an
untied LM head; BERT with a pooler) this script writes, under <out>/<name>/:
  config.json, model.safetensors (float32)   the model, as save_pretrained writes it
  generation_config.json                     written by save_pretrained for T5; not used by the tests
  fixture.safetensors                        inputs, outputs, loss and gradients (tests/DePT.Tests/Fixtures/README.md)

The reference numbers come from the model reloaded from those files (so they are what transformers makes of the
files the C# runtime will read), computed in float64 and stored as float32. The same run in float32 is measured
against float64 and the relative errors are written into the metadata, so the tests can state justified tolerances.

Every step checks itself (saved weights, reload, tying and output scaling, DePT gradient formulas, finite
differences, greedy decoding) and the script exits non-zero on the first failed check.

Usage: python3 tools/reference/make_fixtures.py --out tests/DePT.Tests/Fixtures/reference [--device cuda]
"""

from __future__ import annotations

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
from safetensors.torch import load_file, save_file  # noqa: E402
from transformers import BertConfig, BertModel, T5Config, T5ForConditionalGeneration  # noqa: E402

ENCODER_LENGTHS = (7, 5, 3)  # right-padded to max(ENCODER_LENGTHS)
TARGET_LEN = 4
IGNORE_INDEX = -100
MAX_NEW_TOKENS = 6
VOCAB = 96
PAD_ID = 0
EOS_ID = 1
FIRST_ORDINARY_ID = 3  # ids 0..2 are pad/eos/unk in T5 and kept free of meaning in BERT too
MAX_TOTAL_BYTES = 2 * 1024 * 1024
MIN_GREEDY_MARGIN = 1e-3  # a smaller top-1/top-2 gap could flip in a float32 or bf16 runtime
FD_STEP = 1e-6
FD_RTOL = 1e-5


@dataclass(frozen=True)
class Case:
    name: str
    family: str  # "t5" or "bert"
    seed: int
    config: dict = field(default_factory=dict)
    tied_lm_head: bool = True  # T5 only: v1.0 ties lm_head to shared and scales by d_model**-0.5


T5_COMMON = dict(
    vocab_size=VOCAB,
    d_model=32,
    d_kv=8,
    num_layers=2,
    num_decoder_layers=2,
    num_heads=4,
    relative_attention_num_buckets=8,
    relative_attention_max_distance=16,
    dropout_rate=0.0,
    layer_norm_epsilon=1e-6,
    initializer_factor=1.0,
    pad_token_id=PAD_ID,
    eos_token_id=EOS_ID,
    decoder_start_token_id=PAD_ID,
)

CASES = (
    Case(
        name="t5_v1_0",
        family="t5",
        seed=1000,
        config=dict(T5_COMMON, d_ff=64, feed_forward_proj="relu", tie_word_embeddings=True),
        tied_lm_head=True,
    ),
    Case(
        name="t5_v1_1",
        family="t5",
        seed=1100,
        config=dict(T5_COMMON, d_ff=48, feed_forward_proj="gated-gelu", tie_word_embeddings=False),
        tied_lm_head=False,
    ),
    Case(
        name="bert",
        family="bert",
        seed=2000,
        config=dict(
            vocab_size=VOCAB,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=64,
            hidden_act="gelu",
            hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0,
            max_position_embeddings=64,
            type_vocab_size=2,
            # 0.02 (the default) makes q.k so small that attention is nearly uniform and masking goes untested.
            initializer_range=0.2,
            layer_norm_eps=1e-12,
            pad_token_id=PAD_ID,
        ),
    ),
)


# ----------------------------------------------------------------------------------------------------------------
# Models


def build_model(case: Case):
    """Random float32 model: HF init, constant parameters (norm gains, biases) redrawn so they are tested, every value
    rounded to the nearest bf16."""
    torch.manual_seed(case.seed)
    if case.family == "t5":
        model = T5ForConditionalGeneration(T5Config(**case.config))
    else:
        model = BertModel(BertConfig(**case.config), add_pooling_layer=True)
    model.eval()

    generator = torch.Generator().manual_seed(case.seed + 1)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.dtype != torch.float32:
                raise FixtureError(f"{case.name}: parameter {name} is {parameter.dtype}, expected float32")
            if parameter.numel() > 1 and parameter.min() == parameter.max():
                shape = parameter.shape
                if parameter.flatten()[0].item() == 1.0:  # norm gains
                    parameter.copy_(0.5 + torch.rand(shape, generator=generator))
                else:  # biases (zero at init)
                    parameter.copy_(0.1 * torch.randn(shape, generator=generator))
            if name.endswith("relative_attention_bias.weight"):
                # HF draws these with std d_model**-0.5; std 1 makes the position bias visible next to q.k.
                parameter.copy_(torch.randn(parameter.shape, generator=generator))

        if case.family == "t5" and not case.tied_lm_head:
            # transformers 5.x builds every T5 with lm_head tied to shared (tie_word_embeddings=False only turns the
            # output scaling off); real v1.1/FLAN checkpoints carry their own lm_head, so give it its own values.
            d_model = case.config["d_model"]
            model.lm_head.weight = torch.nn.Parameter(
                d_model**-0.5 * torch.randn((VOCAB, d_model), generator=generator)
            )
            model.config.tie_word_embeddings = False

        # Every weight is a bf16 value held in float32: the bf16 runtime then loads the model exactly, and its error
        # against this float64 reference comes from its activations alone (the fp32 runtime is unaffected).
        for parameter in model.parameters():
            parameter.copy_(parameter.to(torch.bfloat16).to(torch.float32))

    for name, parameter in model.named_parameters():
        check(parameter.dtype == torch.float32, f"{case.name}: parameter {name} became {parameter.dtype}")
        check(bool(torch.isfinite(parameter).all()), f"{case.name}: parameter {name} is not finite")
    return model


def save_model(case: Case, model, case_dir: Path) -> list[str]:
    """save_pretrained, then check that model.safetensors holds exactly our float32 values. Returns its keys."""
    model.save_pretrained(str(case_dir))
    weights_path = case_dir / "model.safetensors"
    config_path = case_dir / "config.json"
    check(weights_path.is_file(), f"{case.name}: save_pretrained wrote no {weights_path}")
    check(config_path.is_file(), f"{case.name}: save_pretrained wrote no {config_path}")
    for stray in ("pytorch_model.bin", "model.safetensors.index.json"):
        check(not (case_dir / stray).exists(), f"{case.name}: save_pretrained wrote {stray}; expected one safetensors")

    if case.family == "t5" and not case.tied_lm_head:
        # Make the folder look like a real v1.1 checkpoint whatever this transformers version writes.
        tensors = load_file(str(weights_path))
        if "lm_head.weight" not in tensors:
            print(f"  [{case.name}] save_pretrained dropped lm_head.weight; writing it back")
            tensors["lm_head.weight"] = model.lm_head.weight.detach().clone()
            save_file(tensors, str(weights_path), metadata={"format": "pt"})
        config_json = json.loads(config_path.read_text())
        if config_json.get("tie_word_embeddings") is not False:
            print(f"  [{case.name}] config.json says tie_word_embeddings={config_json.get('tie_word_embeddings')}; "
                  "setting false as in real v1.1 checkpoints")
            config_json["tie_word_embeddings"] = False
            config_path.write_text(json.dumps(config_json, indent=2, sort_keys=True) + "\n")

    keys = check_saved_weights(case.name, weights_path, model.state_dict())
    check(len(keys) > 0, f"{case.name}: {weights_path} is empty")
    if case.family == "t5":
        check("shared.weight" in keys, f"{case.name}: shared.weight missing from {weights_path.name}")
        if not case.tied_lm_head:
            check("lm_head.weight" in keys, f"{case.name}: lm_head.weight missing from {weights_path.name}")
    return keys


def load_model(case: Case, case_dir: Path, built_state: dict, dtype, device: str):
    """Reload from disk, eager attention, frozen; checks every weight (aliases included) against the built model."""
    cls = T5ForConditionalGeneration if case.family == "t5" else BertModel
    model = cls.from_pretrained(str(case_dir), attn_implementation="eager")
    if getattr(model.config, "_attn_implementation", None) != "eager":
        model.set_attn_implementation("eager")
    check(model.config._attn_implementation == "eager", f"{case.name}: could not select eager attention")
    model = model.to(device=device, dtype=dtype).eval()
    model.requires_grad_(False)

    state = model.state_dict()
    check(set(state) == set(built_state),
          f"{case.name}: reloaded weights {sorted(set(state) ^ set(built_state))} differ in name from the built model")
    for key, tensor in built_state.items():
        check(state[key].dtype == dtype, f"{case.name}: reloaded {key} is {state[key].dtype}, expected {dtype}")
        check(torch.equal(state[key].cpu(), tensor.to(dtype)), f"{case.name}: reloaded {key} differs from the built one")

    if case.family == "t5" and dtype == torch.float64:
        use_float64_rms_norm(case, model)

    if case.family == "t5":
        shared = model.shared.weight
        lm_head = model.lm_head.weight
        same = torch.equal(shared, lm_head)
        check(same == case.tied_lm_head,
              f"{case.name}: lm_head {'differs from' if case.tied_lm_head else 'equals'} shared after reload")
    return model


def use_float64_rms_norm(case: Case, model) -> None:
    """T5LayerNorm computes its mean square in float32 whatever the input dtype (meant for fp16 inputs). That
    leaves float32 rounding in a float64 reference and breaks finite differences, so compute it in the input dtype."""

    def forward(self, hidden_states):
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        return self.weight * (hidden_states * torch.rsqrt(variance + self.variance_epsilon))

    norms = [module for module in model.modules() if type(module).__name__ == "T5LayerNorm"]
    check(len(norms) > 0, f"{case.name}: found no T5LayerNorm to run in float64")
    probe = torch.randn((2, 3, model.config.d_model), generator=torch.Generator().manual_seed(11))
    probe = probe.to(model.shared.weight)
    for norm in norms:
        check(hasattr(norm, "variance_epsilon") and hasattr(norm, "weight"),
              f"{case.name}: T5LayerNorm has no variance_epsilon/weight; the float64 replacement needs revisiting")
        with torch.no_grad():
            original = norm(probe)
        norm.forward = types.MethodType(forward, norm)
        with torch.no_grad():
            assert_close(norm(probe), original, 1e-6, f"{case.name}: float64 RMS norm vs transformers' T5LayerNorm")


# ----------------------------------------------------------------------------------------------------------------
# Inputs


def make_inputs(case: Case, word_embedding_std: float, d_model: int) -> dict:
    """Batch, DePT parameters and (BERT) probes, all on the CPU, float32/int64, from a seeded generator."""
    generator = torch.Generator().manual_seed(case.seed + 2)
    batch = len(ENCODER_LENGTHS)
    length = max(ENCODER_LENGTHS)
    check(length <= LOWRANK_MAX_LEN, f"encoder length {length} exceeds lowrank_max_len {LOWRANK_MAX_LEN}")

    input_ids = torch.full((batch, length), PAD_ID, dtype=torch.int64)
    attention_mask = torch.zeros((batch, length), dtype=torch.int64)
    for row, row_length in enumerate(ENCODER_LENGTHS):
        input_ids[row, :row_length] = torch.randint(FIRST_ORDINARY_ID, VOCAB, (row_length,), generator=generator)
        attention_mask[row, :row_length] = 1

    inputs = {"input_ids": input_ids, "attention_mask": attention_mask}

    if case.family == "t5":
        labels = torch.randint(FIRST_ORDINARY_ID, VOCAB, (batch, TARGET_LEN), generator=generator)
        labels[1, -1] = IGNORE_INDEX
        # Shift right as transformers does: start token first, ignored labels become pad.
        decoder_input_ids = torch.full_like(labels, PAD_ID)
        decoder_input_ids[:, 1:] = labels[:, :-1]
        decoder_input_ids[:, 0] = case.config["decoder_start_token_id"]
        decoder_input_ids[decoder_input_ids == IGNORE_INDEX] = PAD_ID
        inputs["labels"] = labels
        inputs["decoder_input_ids"] = decoder_input_ids

    # Prompt on the scale of the word embeddings; A as DePT initialises it; B nonzero so A.B is exercised.
    bound = 1.0 / math.sqrt(LOWRANK_RANK)
    inputs["prompt"] = word_embedding_std * torch.randn((PROMPT_LEN, d_model), generator=generator)
    inputs["lowrank_a"] = (2 * torch.rand((LOWRANK_MAX_LEN, LOWRANK_RANK), generator=generator) - 1) * bound
    inputs["lowrank_b"] = 0.05 * torch.randn((LOWRANK_RANK, d_model), generator=generator)
    check(bool((inputs["lowrank_b"] != 0).all()), "lowrank_b has zeros; the low-rank path would be untested")

    prompted_mask = torch.cat([torch.ones((batch, PROMPT_LEN), dtype=torch.int64), attention_mask], dim=1)
    inputs["prompted_attention_mask"] = prompted_mask

    if case.family == "bert":
        # Probe rows of padded positions are zero: those rows attend but nothing reads them, so the loss (and the
        # gradient) must not depend on them, as in any real use of a padded batch.
        probe_hidden = torch.randn((batch, PROMPT_LEN + length, d_model), generator=generator)
        inputs["probe_hidden"] = probe_hidden * prompted_mask.unsqueeze(-1).to(probe_hidden.dtype)
        inputs["probe_pooled"] = torch.randn((batch, d_model), generator=generator)
    return inputs


# ----------------------------------------------------------------------------------------------------------------
# Computations


def dept_inputs_embeds(model, inputs: dict, prompt, lowrank_a, lowrank_b):
    """concat(P over the batch, Emb[X] + scale * A[:L] B): the DePT encoder input, B x (m+L) x d."""
    word_embeddings = model.get_input_embeddings()(inputs["input_ids"])
    batch, length, _ = word_embeddings.shape
    updated = word_embeddings + (LOWRANK_SCALE * (lowrank_a[:length] @ lowrank_b)).unsqueeze(0)
    return torch.cat([prompt.unsqueeze(0).expand(batch, -1, -1), updated], dim=1)


def prompted_loss(case: Case, model, inputs: dict, prompt, lowrank_a, lowrank_b):
    """Forward with the DePT input; returns (loss, inputs_embeds, outputs dict). inputs_embeds retains its grad."""
    inputs_embeds = dept_inputs_embeds(model, inputs, prompt, lowrank_a, lowrank_b)
    if inputs_embeds.requires_grad:
        inputs_embeds.retain_grad()
    if case.family == "t5":
        output = model(
            inputs_embeds=inputs_embeds,
            attention_mask=inputs["prompted_attention_mask"],
            decoder_input_ids=inputs["decoder_input_ids"],
            labels=inputs["labels"],
            use_cache=False,
        )
        check(output.loss is not None, f"{case.name}: model returned no loss")
        results = {"logits": output.logits, "encoder_last_hidden_state": output.encoder_last_hidden_state}
        loss = output.loss
    else:
        token_type_ids = torch.zeros_like(inputs["prompted_attention_mask"])
        output = model(
            inputs_embeds=inputs_embeds,
            attention_mask=inputs["prompted_attention_mask"],
            token_type_ids=token_type_ids,
        )
        results = {"last_hidden_state": output.last_hidden_state, "pooler_output": output.pooler_output}
        loss = (output.last_hidden_state * inputs["probe_hidden"]).sum() + (
            output.pooler_output * inputs["probe_pooled"]
        ).sum()
    return loss, inputs_embeds, results


def prompted_forward_backward(case: Case, model, inputs: dict) -> dict:
    gradients, results = prompted_gradients(case.name, inputs, lambda *args: prompted_loss(case, model, *args))
    return {**{key: value.detach() for key, value in results.items()}, **gradients}


def plain_forward(case: Case, model, inputs: dict) -> dict:
    with torch.no_grad():
        if case.family == "t5":
            output = model(
                input_ids=inputs["input_ids"],
                attention_mask=inputs["attention_mask"],
                decoder_input_ids=inputs["decoder_input_ids"],
                use_cache=False,
            )
            return {
                "logits_plain": output.logits,
                "encoder_last_hidden_state_plain": output.encoder_last_hidden_state,
            }
        output = model(
            input_ids=inputs["input_ids"],
            attention_mask=inputs["attention_mask"],
            token_type_ids=torch.zeros_like(inputs["input_ids"]),
        )
        return {"last_hidden_state_plain": output.last_hidden_state, "pooler_output_plain": output.pooler_output}


def greedy_generate(case: Case, model, inputs: dict):
    """generate() greedily, then re-derive every step without a cache. Returns (ids, smallest top-1/top-2 gap)."""
    with torch.no_grad():
        generated = model.generate(
            input_ids=inputs["input_ids"],
            attention_mask=inputs["attention_mask"],
            max_new_tokens=MAX_NEW_TOKENS,
            num_beams=1,
            do_sample=False,
            decoder_start_token_id=case.config["decoder_start_token_id"],
            pad_token_id=PAD_ID,
            eos_token_id=EOS_ID,
            return_dict_in_generate=True,
        )
        sequences = generated.sequences if hasattr(generated, "sequences") else generated
        check(sequences.dim() == 2 and sequences.shape[0] == len(ENCODER_LENGTHS),
              f"{case.name}: generate returned shape {tuple(sequences.shape)}")
        check(2 <= sequences.shape[1] <= 1 + MAX_NEW_TOKENS,
              f"{case.name}: generate returned {sequences.shape[1]} positions, expected 2..{1 + MAX_NEW_TOKENS}")
        check(bool((sequences[:, 0] == case.config["decoder_start_token_id"]).all()),
              f"{case.name}: generated ids do not start with decoder_start_token_id")
        check(bool((sequences[:, 1:] > EOS_ID).any()),
              f"{case.name}: generation produced only pad/eos ids {sequences.tolist()}; it would test nothing")

        # Independent greedy decode: full recomputation each step, finished rows continue with pad.
        batch = sequences.shape[0]
        decoded = torch.full((batch, 1), case.config["decoder_start_token_id"], dtype=torch.int64,
                             device=sequences.device)
        finished = torch.zeros(batch, dtype=torch.bool, device=sequences.device)
        smallest_margin = math.inf
        for _ in range(MAX_NEW_TOKENS):
            logits = model(
                input_ids=inputs["input_ids"],
                attention_mask=inputs["attention_mask"],
                decoder_input_ids=decoded,
                use_cache=False,
            ).logits[:, -1, :]
            top2 = logits.topk(2, dim=-1).values
            margins = (top2[:, 0] - top2[:, 1])[~finished]
            if margins.numel() > 0:
                smallest_margin = min(smallest_margin, margins.min().item())
            next_ids = logits.argmax(dim=-1)
            next_ids = torch.where(finished, torch.full_like(next_ids, PAD_ID), next_ids)
            decoded = torch.cat([decoded, next_ids.unsqueeze(1)], dim=1)
            finished |= next_ids == EOS_ID
            if bool(finished.all()):
                break
        check(torch.equal(decoded, sequences),
              f"{case.name}: generate() gave {sequences.tolist()}, step-by-step greedy gave {decoded.tolist()}")
    return sequences, smallest_margin


# ----------------------------------------------------------------------------------------------------------------
# Self-checks of semantics the C# runtime relies on


def check_dept_gradient_formulas(case: Case, inputs: dict, results: dict) -> None:
    """dP = sum_b G[:, :m]; S = sum_b G[:, m:]; dA[:L] = scale S B^T, dA[L:] = 0; dB = scale A[:L]^T S."""
    grad = results["grad_inputs_embeds"]
    length = grad.shape[1] - PROMPT_LEN
    summed = grad[:, PROMPT_LEN:, :].sum(dim=0)
    expected_prompt = grad[:, :PROMPT_LEN, :].sum(dim=0)
    expected_a = inputs["lowrank_a"].new_zeros(inputs["lowrank_a"].shape)
    expected_a[:length] = LOWRANK_SCALE * summed @ inputs["lowrank_b"].T
    expected_b = LOWRANK_SCALE * inputs["lowrank_a"][:length].T @ summed
    assert_close(results["grad_prompt"], expected_prompt, 1e-12, f"{case.name}: dP vs DePT formula")
    assert_close(results["grad_lowrank_a"], expected_a, 1e-12, f"{case.name}: dA vs DePT formula")
    assert_close(results["grad_lowrank_b"], expected_b, 1e-12, f"{case.name}: dB vs DePT formula")
    check(bool((results["grad_lowrank_a"][length:] == 0).all()), f"{case.name}: dA rows past L are not zero")

    padded = inputs["prompted_attention_mask"] == 0
    largest_pad_grad = grad[padded].abs().max().item() if bool(padded.any()) else 0.0
    check(largest_pad_grad < 1e-12,
          f"{case.name}: gradient at padded positions is {largest_pad_grad:.3e}; padding must be masked out")
    for key in ("grad_prompt", "grad_lowrank_a", "grad_lowrank_b", "grad_inputs_embeds"):
        check(results[key].abs().max().item() > 0, f"{case.name}: {key} is all zero")


def check_finite_differences(case: Case, model, inputs: dict, results: dict) -> None:
    """Directional derivatives along random directions, central differences in float64."""
    check_directional_derivatives(case.name, case.seed, inputs, results,
                                  lambda *args: prompted_loss(case, model, *args), FD_STEP, FD_RTOL)


def check_model_semantics(case: Case, model, inputs: dict) -> None:
    """Pin down what the fixture means: where T5's logits come from, where BERT adds positions and token types."""
    with torch.no_grad():
        if case.family == "t5":
            encoder = model.encoder(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
            decoder = model.decoder(
                input_ids=inputs["decoder_input_ids"],
                encoder_hidden_states=encoder.last_hidden_state,
                encoder_attention_mask=inputs["attention_mask"],
                use_cache=False,
            )
            hidden = decoder.last_hidden_state
            if case.tied_lm_head:
                expected = (hidden * case.config["d_model"] ** -0.5) @ model.shared.weight.T
            else:
                expected = hidden @ model.lm_head.weight.T
            actual = model(
                input_ids=inputs["input_ids"],
                attention_mask=inputs["attention_mask"],
                decoder_input_ids=inputs["decoder_input_ids"],
                use_cache=False,
            ).logits
            assert_close(actual, expected, 1e-12,
                         f"{case.name}: logits vs {'scaled shared' if case.tied_lm_head else 'unscaled lm_head'}")

            from_labels = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                                labels=inputs["labels"], use_cache=False)
            assert_close(from_labels.logits, actual, 1e-12, f"{case.name}: labels-only path vs decoder_input_ids")
            manual_loss = torch.nn.functional.cross_entropy(
                actual.reshape(-1, actual.shape[-1]), inputs["labels"].reshape(-1), ignore_index=IGNORE_INDEX
            )
            assert_close(from_labels.loss.reshape(1), manual_loss.reshape(1), 1e-12,
                         f"{case.name}: model loss vs mean cross-entropy with ignore_index")
        else:
            embeddings = model.embeddings
            sample = torch.randn((2, 5, model.config.hidden_size), generator=torch.Generator().manual_seed(7))
            sample = sample.to(embeddings.word_embeddings.weight)
            expected = embeddings.LayerNorm(
                sample + embeddings.position_embeddings.weight[:5] + embeddings.token_type_embeddings.weight[0]
            )
            assert_close(embeddings(inputs_embeds=sample), expected, 1e-12,
                         f"{case.name}: BertEmbeddings(inputs_embeds) vs LayerNorm(x + pos + type0)")

            prompt_rows = inputs["prompted_attention_mask"].shape[1]
            positions = torch.arange(prompt_rows, device=sample.device).unsqueeze(0)
            embeds = dept_inputs_embeds(model, inputs, inputs["prompt"], inputs["lowrank_a"], inputs["lowrank_b"])
            default = model(inputs_embeds=embeds, attention_mask=inputs["prompted_attention_mask"],
                            token_type_ids=torch.zeros_like(inputs["prompted_attention_mask"]))
            explicit = model(inputs_embeds=embeds, attention_mask=inputs["prompted_attention_mask"],
                             token_type_ids=torch.zeros_like(inputs["prompted_attention_mask"]),
                             position_ids=positions)
            assert_close(default.last_hidden_state, explicit.last_hidden_state, 1e-14,
                         f"{case.name}: default position ids are not 0..m+L-1")


# ----------------------------------------------------------------------------------------------------------------
# Driver


def make_case(case: Case, out: Path, device: str, found_versions: dict) -> Path:
    case_dir = out / case.name
    if case_dir.exists():
        shutil.rmtree(case_dir)
    case_dir.mkdir(parents=True)
    print(f"[{case.name}] building and saving to {case_dir}")

    built = build_model(case)
    keys = save_model(case, built, case_dir)
    print(f"  [{case.name}] model.safetensors: {len(keys)} float32 tensors: {', '.join(keys)}")
    d_model = built.get_input_embeddings().weight.shape[1]
    word_embedding_std = built.get_input_embeddings().weight.std().item()
    built_state = {key: value.detach().clone() for key, value in built.state_dict().items()}
    del built

    model64 = load_model(case, case_dir, built_state, torch.float64, device)
    model32 = load_model(case, case_dir, built_state, torch.float32, device)

    cpu_inputs = make_inputs(case, word_embedding_std, d_model)
    inputs64 = to_device(cpu_inputs, torch.float64, device)
    inputs32 = to_device(cpu_inputs, torch.float32, device)

    check_model_semantics(case, model64, inputs64)

    plain64 = plain_forward(case, model64, inputs64)
    plain32 = plain_forward(case, model32, inputs32)
    prompted64 = prompted_forward_backward(case, model64, inputs64)
    prompted32 = prompted_forward_backward(case, model32, inputs32)

    check_dept_gradient_formulas(case, inputs64, prompted64)
    check_finite_differences(case, model64, inputs64, prompted64)

    outputs = {**plain64, **prompted64}
    for key, value in outputs.items():
        check(bool(torch.isfinite(value).all()), f"{case.name}: {key} is not finite")
    fp32_relative_errors = {
        key: relative_error(value32, outputs[key]) for key, value32 in {**plain32, **prompted32}.items()
    }

    metadata = {
        **base_metadata(case.name, type(model64).__name__, found_versions, case.seed, device, PAD_ID),
        **prompt_metadata(),
        "loss": repr(outputs["loss"].item()),
        "fp32_relative_errors": json.dumps({k: float(f"{v:.3e}") for k, v in sorted(fp32_relative_errors.items())}),
    }

    if case.family == "t5":
        metadata["ignore_index"] = str(IGNORE_INDEX)
        metadata["decoder_start_token_id"] = str(case.config["decoder_start_token_id"])
        metadata["eos_token_id"] = str(EOS_ID)
        metadata["scale_decoder_outputs"] = "true" if case.tied_lm_head else "false"
        generated, margin = greedy_generate(case, model64, inputs64)
        check(margin >= MIN_GREEDY_MARGIN,
              f"{case.name}: greedy top-1/top-2 gap {margin:.3e} < {MIN_GREEDY_MARGIN}; change the seed")
        outputs["generated_ids"] = generated
        metadata["max_new_tokens"] = str(MAX_NEW_TOKENS)
        metadata["generation_min_margin"] = repr(margin)

    tensors = stored_tensors({**cpu_inputs, **outputs})
    # The stored inputs are the exact values used (drawn in float32); outputs are float64 results rounded.
    for key in ("prompt", "lowrank_a", "lowrank_b"):
        check(torch.equal(tensors[key], cpu_inputs[key]), f"{case.name}: stored {key} differs from the one used")

    check_fixture_shapes(case, tensors)
    fixture_path = case_dir / "fixture.safetensors"
    save_file(tensors, str(fixture_path), metadata=metadata)

    print(f"  [{case.name}] loss {metadata['loss']}")
    print(f"  [{case.name}] float32 vs float64 relative errors: {metadata['fp32_relative_errors']}")
    if case.family == "t5":
        print(f"  [{case.name}] generated_ids {tensors['generated_ids'].tolist()} "
              f"(smallest greedy gap {metadata['generation_min_margin']})")
    for key in sorted(tensors):
        print(f"    {key:34s} {str(tensors[key].dtype):14s} {tuple(tensors[key].shape)}")
    return case_dir


def check_fixture_shapes(case: Case, tensors: dict) -> None:
    batch = len(ENCODER_LENGTHS)
    length = max(ENCODER_LENGTHS)
    total = PROMPT_LEN + length
    if case.family == "t5":
        d_model = case.config["d_model"]
        expected = {
            "input_ids": (batch, length),
            "attention_mask": (batch, length),
            "decoder_input_ids": (batch, TARGET_LEN),
            "labels": (batch, TARGET_LEN),
            "logits_plain": (batch, TARGET_LEN, VOCAB),
            "encoder_last_hidden_state_plain": (batch, length, d_model),
            "logits": (batch, TARGET_LEN, VOCAB),
            "encoder_last_hidden_state": (batch, total, d_model),
        }
    else:
        d_model = case.config["hidden_size"]
        expected = {
            "input_ids": (batch, length),
            "attention_mask": (batch, length),
            "last_hidden_state_plain": (batch, length, d_model),
            "pooler_output_plain": (batch, d_model),
            "last_hidden_state": (batch, total, d_model),
            "pooler_output": (batch, d_model),
            "probe_hidden": (batch, total, d_model),
            "probe_pooled": (batch, d_model),
        }
    expected.update(
        prompt=(PROMPT_LEN, d_model),
        lowrank_a=(LOWRANK_MAX_LEN, LOWRANK_RANK),
        lowrank_b=(LOWRANK_RANK, d_model),
        prompted_attention_mask=(batch, total),
        inputs_embeds=(batch, total, d_model),
        loss=(1,),
        grad_inputs_embeds=(batch, total, d_model),
        grad_prompt=(PROMPT_LEN, d_model),
        grad_lowrank_a=(LOWRANK_MAX_LEN, LOWRANK_RANK),
        grad_lowrank_b=(LOWRANK_RANK, d_model),
    )
    names = set(tensors) - {"generated_ids"}
    check(names == set(expected),
          f"{case.name}: fixture tensors {sorted(names)} differ from the documented set {sorted(expected)}")
    for key, shape in expected.items():
        check(tuple(tensors[key].shape) == shape, f"{case.name}: {key} has shape {tuple(tensors[key].shape)}, "
                                                  f"expected {shape}")


def main(argv: list[str]) -> int:
    args = parse_args(argv, __doc__, [c.name for c in CASES])
    found = start("make_fixtures", args.device, "; the self-checks still guard the fixture's meaning")

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    selected = [case for case in CASES if not args.only or case.name in args.only]
    case_dirs = [make_case(case, out, args.device, found) for case in selected]

    print("make_fixtures: files written")
    total = total_bytes(out, case_dirs)
    print(f"make_fixtures: {len(case_dirs)} models, {total} bytes in all ({total / 1024:.1f} KiB) under {out}")
    check(total <= MAX_TOTAL_BYTES, f"fixtures take {total} bytes, over the {MAX_TOTAL_BYTES}-byte budget")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except FixtureError as error:
        print(f"make_fixtures: FAILED: {error}", file=sys.stderr)
        sys.exit(1)

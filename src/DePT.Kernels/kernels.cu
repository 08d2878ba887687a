/*
All DePT CUDA kernels in one translation unit: nvcc builds it into dept_kernels.fatbin (CMakeLists.txt at
the repository root), and DePT.Managed compiles the same text with NVRTC where no fatbin fits the device.
Each family lives in one header, forward and backward side by side; this file only includes them.
Every kernel is extern "C" with one by-value argument struct; see each header for shapes and launch geometry.
*/

#include "common.cuh"   // defines: bf16, float_to_bf16, bf16_to_float, Pack8, Row8, load8/store8 (16-byte), report_error, DEPT_ERR_* codes, warp_sum
#include "prompt.cuh"   // defines: PromptInputForwardArgs, PromptInputBackwardArgs, LowRankDeltaArgs, prompt_input_forward_{f32,bf16}out_{f32,bf16}emb, prompt_input_backward_reduce_{f32,bf16}, prompt_input_backward_lowrank_a, prompt_input_backward_lowrank_b, prompt_lowrank_delta
#include "ops_common.cuh"  // defines: ops_bf16, ops_load/ops_store, ops_load8/ops_store8, ops_block_sum/ops_block_max, ops_report_error, OPS_ERR_TOKEN_TYPE (4)
#include "elementwise.cuh" // defines: ew_add, ew_scale, ew_fill, ew_dropout, ew_write_rows, ew_read_rows, ew_gather_rows, ew_scatter_rows
#include "activation.cuh"  // defines: act_forward, act_backward, gated_act_forward, gated_act_backward
#include "norm.cuh"        // defines: rmsnorm_forward, rmsnorm_backward, layernorm_forward, layernorm_backward
#include "embedding.cuh"   // defines: embedding_lookup, embedding_add_positions, relative_position_bias
#include "rotary.cuh"      // defines: RotaryArgs, rotary_embedding
#include "attention.cuh"   // defines: attention_permute_in, attention_permute_out, attention_softmax_forward, attention_softmax_backward
#include "attention_fast.cuh" // defines: attention_flash5_forward_bf16_64, attention_flash5_backward_bf16_64 (bf16, dh 64, multi-head; after attention.cuh)
#include "linear.cuh"      // defines: linear_epilogue, linear_bias_grad
#include "loss.cuh"        // defines: softmax_cross_entropy, argmax_rows
#include "pool.cuh"        // defines: pool_forward, pool_backward
#include "optim.cuh"       // defines: SquaredNormPartialArgs, SquaredNormFinalArgs, AdamWArgs, optim_squared_norm_partial, optim_squared_norm_final, optim_adamw

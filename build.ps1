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
    Bench    the benchmark harness (GPU machine)
    Pack     NuGet packages of the libraries into artifacts/packages
#>
param(
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
            if (-not $nvcc) {
                Write-Host '== Kernels: skipped, nvcc not found (the library compiles its embedded kernel sources with NVRTC at run time).' -ForegroundColor Yellow
                continue
            }
            Invoke-Step 'Kernels (cmake configure)' { cmake -S $root -B (Join-Path $root 'build/kernels') -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CUDA_COMPILER=$($nvcc.Source)" }
            Invoke-Step 'Kernels (nvcc fatbin)' { cmake --build (Join-Path $root 'build/kernels') --target dept_kernels }
        }
        'Build' { Invoke-Step 'Build' { dotnet build (Join-Path $root 'DePT.sln') -c $Configuration } }
        'Test' { Invoke-Step 'Test' { dotnet test --solution (Join-Path $root 'DePT.sln') -c $Configuration } }
        'Bench' {
            $bench = Join-Path $root 'benchmarks/DePT.Benchmarks/DePT.Benchmarks.csproj'
            if (-not (Test-Path $bench)) { throw "No benchmark harness at $bench yet." }
            Invoke-Step 'Bench' { dotnet run --project $bench -c Release -- @args }
        }
        'Pack' {
            Invoke-Step 'Pack' {
                dotnet pack (Join-Path $root 'src/DePT.Native/DePT.Native.csproj') -c $Configuration -o (Join-Path $root 'artifacts/packages')
                dotnet pack (Join-Path $root 'src/DePT.Managed/DePT.Managed.csproj') -c $Configuration -o (Join-Path $root 'artifacts/packages')
            }
        }
    }
}

#!/usr/bin/env bash
# Runs each fuzz target (fuzz/fuzz_targets: the URL parser, text()'s `:name` bind parser,
# the value decoders) for a bounded time, starting from the small seed corpora kept in
# fuzz/corpus/<target>. Needs the nightly toolchain and cargo-fuzz (`cargo install
# cargo-fuzz`). Not part of scripts/test.sh. A crash stops the run and leaves its input in
# fuzz/artifacts/<target>/; replay it with `cargo +nightly fuzz run <target> <file>`.
#   scripts/fuzz.sh              # every target, 60 s each
#   scripts/fuzz.sh 300 url      # 300 s, one target
# New inputs libFuzzer finds go to a scratch directory, so the kept corpora stay small.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(url text_binds value_decoders)
fi
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in "${targets[@]}"; do
    mkdir -p "$scratch/$target"
    echo "== $target for ${seconds}s"
    status=0
    cargo +nightly fuzz run "$target" "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=4096 -timeout=10 >"$scratch/$target.log" 2>&1 || status=$?
    grep -E '^(#[0-9]+ +DONE|Done|==[0-9]+==|SUMMARY|thread .* panicked|.* parsed, but|artifact_prefix|Test unit written)' "$scratch/$target.log" || true
    if [ "$status" -ne 0 ]; then
        echo "$target found a failing input (see fuzz/artifacts/$target)" >&2
        exit 1
    fi
done

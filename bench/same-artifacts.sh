#!/usr/bin/env bash
# Stage: bench (refactoring check, run by hand)
# Contract: compiles every shared model with two builds of dspc (BASE and this checkout's dist/) and compares the
#   artifact directories byte for byte; prints one line per model and exits 1 when any artifact differs.
# Usage: bench/same-artifacts.sh BASE_ROOT [OUT_ROOT]
#   BASE_ROOT holds dist/, package.json, targets/ and node_modules of the reference build
#   (cp -r dist package.json targets BASE_ROOT; ln -s $PWD/node_modules BASE_ROOT/).
#   Models: ../shared/models/{chains,zoo,real}/*/model.onnx and ../shared/models/conformance/*/*/model.onnx;
#   a model that the reference build refuses must be refused with the same message by this build.
#   Set TARGETS="generic-dsp hifi5" to compile for several presets (default: generic-dsp).
set -u
base=${1:?BASE_ROOT}
out=${2:-/tmp/same-artifacts}
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$here/../shared/models}
targets=${TARGETS:-generic-dsp}
mkdir -p "$out"
fail=0; same=0; refused=0
for m in "$shared"/{chains,zoo,real}/*/model.onnx "$shared"/conformance/*/*/model.onnx; do
  [ -f "$m" ] || continue
  rel=${m#"$shared"/}; key=${rel%/model.onnx}; key=${key//\//_}
  for t in $targets; do
    a="$out/base/$t/$key"; b="$out/new/$t/$key"
    if [ ! -e "$a.done" ]; then
      rm -rf "$a"; mkdir -p "$(dirname "$a")"
      (cd "$out" && node "$base/dist/src/cli/main.js" compile "$m" -t "$t" -o "$a" --simulate -q) >"$a.log" 2>&1
      echo $? >"$a.rc"; touch "$a.done"
    fi
    rm -rf "$b"; mkdir -p "$(dirname "$b")"
    (cd "$out" && node "$here/dist/src/cli/main.js" compile "$m" -t "$t" -o "$b" --simulate -q) >"$b.log" 2>&1
    echo $? >"$b.rc"
    if ! cmp -s "$a.rc" "$b.rc" || ! cmp -s "$a.log" "$b.log"; then
      echo "DIFF $t $key: exit code or message differs"; fail=1; continue
    fi
    if [ "$(cat "$a.rc")" != 0 ]; then refused=$((refused + 1)); continue; fi
    if diff -r -q "$a" "$b" >/dev/null; then same=$((same + 1)); else echo "DIFF $t $key:"; diff -r -q "$a" "$b"; fail=1; fi
  done
done
echo "identical: $same, refused by both alike: $refused, differing: $([ $fail = 0 ] && echo 0 || echo some)"
exit $fail

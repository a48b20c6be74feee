#!/usr/bin/env bash
# Cross-compiles every runtime/ source for Cortex-M4 and checks what the objects need:
#   - each source compiles with the device flags (warnings are errors);
#   - tinyml_rt.h, tinyml_rt_bundle.h, tinyml_rt_slots.h and tinyml_rt_rules.h are valid C99
#     (pedantic);
#   - no object references anything outside a short list: memcpy/memset/memmove and the
#     ARM EABI integer helpers (64-bit division and shifts). So no malloc/free, no
#     operator new/delete, no __cxa_* (exceptions, guards, atexit), no unwinder, no libc
#     I/O and no OS calls;
#   - the int8 kernels reference no floating-point helper (__aeabi_f*/__aeabi_d*, int to
#     float conversions); only prepare, quantize, quantize_affine and dequantize (the float
#     helpers) and the rules engine (rules, rule_signals, centroid_distance: float levels and
#     signals) may;
#   - no object has a static constructor (.init_array / .ctors).
# Usage: cross_build.sh RUNTIME_DIR BUILD_DIR. Fails (exit 1) when the toolchain is missing.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 RUNTIME_DIR BUILD_DIR" >&2
  exit 2
fi
runtime=$1
out=$2
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

for tool in arm-none-eabi-g++ arm-none-eabi-gcc arm-none-eabi-ar arm-none-eabi-nm \
            arm-none-eabi-objdump arm-none-eabi-size; do
  command -v "$tool" >/dev/null ||
    fail "$tool not found: the Cortex-M4 cross-build needs the Debian packages" \
         "gcc-arm-none-eabi libnewlib-dev libstdc++-arm-none-eabi-dev (bash scripts/deps.sh" \
         "gcc-arm-none-eabi libnewlib-dev libstdc++-arm-none-eabi-dev, or scripts/test.sh)"
done

flags=(-mcpu=cortex-m4 -mthumb -Os -fno-exceptions -fno-rtti -Wall -Wextra -Werror -std=c++17)
float_helpers=" prepare quantize quantize_affine dequantize rules rule_signals centroid_distance "
allowed='^(memcpy|memset|memmove|__aeabi_(ldivmod|uldivmod|idiv|uidiv|idivmod|uidivmod|lmul|llsl|llsr|lasr|lcmp|ulcmp|memcpy[48]?|memmove[48]?|memset[48]?|memclr[48]?))$'
float_symbols='^__aeabi_([fd]|u?[il]2[fd])'

rm -rf "$out"
mkdir -p "$out"
shopt -s nullglob
sources=("$runtime"/src/*.cpp)
((${#sources[@]} > 0)) || fail "no sources in $runtime/src"

echo "arm-none-eabi-g++ ${flags[*]}"
for src in "${sources[@]}"; do
  name=$(basename "$src" .cpp)
  arm-none-eabi-g++ "${flags[@]}" -I"$runtime/include" -c "$src" -o "$out/$name.o" ||
    fail "$src does not compile for Cortex-M4"
done
for header in tinyml_rt.h tinyml_rt_bundle.h tinyml_rt_slots.h tinyml_rt_rules.h; do
  printf '#include "%s"\nint tinyml_rt_c_check(void) { return TINYML_RT_OK; }\n' "$header" |
    arm-none-eabi-gcc -x c -std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only \
      -I"$runtime/include" - || fail "$header is not valid C99"
done

arm-none-eabi-ar rcs "$out/libtinyml_runtime.a" "$out"/*.o
defined=$(arm-none-eabi-nm --defined-only "$out/libtinyml_runtime.a" | awk 'NF == 3 {print $3}' | sort -u)

problems=0
for obj in "$out"/*.o; do
  name=$(basename "$obj" .o)
  undefined=$(arm-none-eabi-nm -u "$obj" | awk '{print $NF}' | sort -u)
  echo "$name.o needs: ${undefined//$'\n'/ }"
  for sym in $undefined; do
    if grep -qxF "$sym" <<<"$defined"; then continue; fi
    if [[ $sym =~ $allowed ]]; then continue; fi
    if [[ $sym =~ $float_symbols ]]; then
      if [[ $float_helpers == *" $name "* ]]; then continue; fi
      echo "FAIL: $name.o is an int8 kernel but references floating point: $sym" >&2
    else
      echo "FAIL: $name.o references $sym (heap, exceptions, libc or OS are not allowed)" >&2
    fi
    problems=$((problems + 1))
  done
  if arm-none-eabi-objdump -h "$obj" | grep -Eq '\.(init_array|ctors)'; then
    echo "FAIL: $name.o has a static constructor" >&2
    problems=$((problems + 1))
  fi
done
((problems == 0)) || fail "$problems forbidden reference(s)"

arm-none-eabi-size -t "$out/libtinyml_runtime.a" | tail -1 |
  awk '{print "libtinyml_runtime.a (Cortex-M4, -Os): text " $1 " B, data " $2 " B, bss " $3 " B"}'
echo "PASS: ${#sources[@]} sources, no heap, exception, OS or static-constructor references," \
     "no floating point in int8 kernels"

#!/usr/bin/env bash
# Compiles a folder made by `tinyml export` the way the Arduino IDE compiles a library for
# a Cortex-M4 board: every .cpp under src/ with arm-none-eabi-g++, src/ on the include
# path, plus a sketch that includes the header library.properties names. Warnings are
# errors. Usage: arduino_compile.sh EXPORT_DIR WORK_DIR
set -euo pipefail
dir=$1
work=$2
mkdir -p "$work"
props="$dir/library.properties"
[ -f "$props" ] || { echo "no library.properties in $dir" >&2; exit 1; }
for key in name version sentence architectures includes; do
  grep -q "^$key=" "$props" || { echo "library.properties lacks $key=" >&2; exit 1; }
done
header=$(sed -n 's/^includes=//p' "$props")
[ -f "$dir/src/$header" ] || { echo "src/$header (from includes=) is missing" >&2; exit 1; }
flags=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -g -std=gnu++17
       -ffunction-sections -fdata-sections -fno-exceptions -fno-rtti -fno-threadsafe-statics
       -nostdlib -Wall -Wextra -Werror -I"$dir/src")
cat > "$work/sketch.ino.cpp" <<SKETCH
#include <$header>
void setup() {}
void loop() {}
SKETCH
n=0
for f in "$dir"/src/*.cpp "$work/sketch.ino.cpp"; do
  arm-none-eabi-g++ "${flags[@]}" -c "$f" -o "$work/$(basename "$f").o"
  n=$((n + 1))
done
# The per-operation profiling hooks, compiled out by default, must compile in too.
name=$(sed -n 's/^name=//p' "$props")
upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
arm-none-eabi-g++ "${flags[@]}" -D"${upper}_PROFILE" -c "$dir/src/$name.cpp" -o "$work/profiled.o"
arm-none-eabi-nm "$work/profiled.o" | grep -q "${name}_op_ticks" || { echo "no ${name}_op_ticks with ${upper}_PROFILE" >&2; exit 1; }
if arm-none-eabi-nm "$work/$name.cpp.o" | grep -q "${name}_op_ticks"; then
  echo "${name}_op_ticks is there without ${upper}_PROFILE" >&2; exit 1
fi
echo "arduino layout: compiled $n files for cortex-m4 with -Werror (and $name.cpp with ${upper}_PROFILE)"

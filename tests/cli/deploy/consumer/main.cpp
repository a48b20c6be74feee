// Runs the exported model once on raw readings given on the command line (missing ones
// are 0) and prints the class: proof that the folder builds and links on its own.
#include <cstdio>
#include <cstdlib>

#include MODEL_HEADER

#define GLUE2(a, b) a##b
#define GLUE(a, b) GLUE2(a, b)
#define FN(suffix) GLUE(MODEL, suffix)
#define CONST(suffix) GLUE(MODEL_UPPER, suffix)

int main(int argc, char** argv) {
  static float raw[CONST(_INPUT_COUNT)];
  for (int i = 1; i < argc && i <= CONST(_INPUT_COUNT); ++i) raw[i - 1] = std::strtof(argv[i], nullptr);
  if (FN(_init)(nullptr, 0) != 0 || FN(_set_input)(raw) != 0 || FN(_invoke)() != 0) {
    std::puts("the model failed");
    return 1;
  }
  const int k = static_cast<int>(FN(_top_class)());
  std::printf("class %d (%s), arena %d bytes\n", k, FN(_class_names)[k], CONST(_ARENA_SIZE));
  return 0;
}

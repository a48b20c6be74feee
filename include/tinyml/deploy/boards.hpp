// Boards a project's [target] can name: the microcontroller's flash, RAM and clock as its
// vendor publishes them, and the emulated core (firmware.hpp) that stands in for its CPU
// when the build measures code size, stack and instructions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tinyml::deploy {

struct Board {
  std::string name;  // as written in tinyml.toml
  std::string mcu;   // the microcontroller
  std::string core;  // the emulated target with the same CPU (target_names())
  double flash_kb = 0, ram_kb = 0, clock_mhz = 0;
};

const std::vector<Board>& boards();
// InputError listing the known boards when `name` is none of them.
const Board& find_board(std::string_view name);

}  // namespace tinyml::deploy

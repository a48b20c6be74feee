#include "tinyml/deploy/boards.hpp"

#include <fmt/format.h>

#include "tinyml/error.hpp"

namespace tinyml::deploy {

// Flash, RAM and maximum clock from each microcontroller's datasheet.
const std::vector<Board>& boards() {
  static const std::vector<Board> list = {
      {"nucleo-f103rb", "STM32F103RB", "cortex-m3", 128, 20, 72},
      {"nucleo-f401re", "STM32F401RE", "cortex-m4", 512, 96, 84},
      {"nucleo-l432kc", "STM32L432KC", "cortex-m4", 256, 64, 80},
      {"arduino-nano-33-ble", "nRF52840", "cortex-m4", 1024, 256, 64},
      {"stm32f746g-disco", "STM32F746NG", "cortex-m7", 1024, 320, 216},
      {"nucleo-l552ze-q", "STM32L552ZE", "cortex-m33", 512, 256, 110},
  };
  return list;
}

const Board& find_board(std::string_view name) {
  std::string known;
  for (const Board& b : boards()) {
    if (b.name == name) return b;
    known += fmt::format("{}{} ({}, {:g} KB flash, {:g} KB RAM)", known.empty() ? "" : ", ", b.name, b.mcu, b.flash_kb,
                         b.ram_kb);
  }
  input_error("unknown board '{}'; known boards: {}; or give flash_kb, ram_kb and core instead", name, known);
}

}  // namespace tinyml::deploy

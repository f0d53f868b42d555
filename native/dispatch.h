// Chooses, once per process, which instruction set's kernels run: the best one this CPU and OS
// support, or the one named by the environment variable LOGITKIT_ISA (scalar | avx2 | avx512 | neon).
#pragma once

#include <string>
#include <vector>

#include "kernels/table.h"

namespace logitkit {

struct Dispatch {
  const KernelTable* active = nullptr;  // null when LOGITKIT_ISA asked for something unavailable
  std::vector<std::string> supported;   // best first
  std::vector<std::string> features;    // optional instruction sets the active table uses (avx512bf16)
  std::string error;                    // why `active` is null
};

// Detected on first use; thread-safe (a function-local static).
const Dispatch& dispatch();

// The table of the named ISA if this CPU supports it, else null.
const KernelTable* table_for(const std::string& name);

}  // namespace logitkit

#pragma once
// How much memory the machine has free, read from /proc/meminfo, and the one check every loader
// uses before allocating something large: does it fit, with the estimate in the message.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/result.h"

namespace tl {

struct MemoryInfo {
  std::uint64_t total_bytes = 0;
  std::uint64_t available_bytes = 0;  // MemAvailable: what can be allocated without swapping
};

// Parses the text of /proc/meminfo (MemTotal and MemAvailable, in kB). nullopt when absent.
std::optional<MemoryInfo> parse_meminfo(std::string_view text);
// This machine's /proc/meminfo; nullopt where there is none (the check then passes).
std::optional<MemoryInfo> read_meminfo();

// Ok when `need_bytes` fits in the available memory (less a reserve for the rest of the program);
// otherwise an error like "<what> needs about 3.2 GiB (<detail>), only 1.1 GiB of memory is free".
// Unknown memory (nullopt) passes: refusing on every system without /proc would be worse.
Status check_memory_fits(std::uint64_t need_bytes, const std::optional<MemoryInfo>& memory,
                         std::string_view what, std::string_view detail = {});

// "1.5 GiB", "320 MiB", "12 KiB", "17 bytes".
std::string format_bytes(std::uint64_t bytes);

}  // namespace tl

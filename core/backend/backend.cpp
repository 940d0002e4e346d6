#include "core/backend/backend.h"

namespace tl {

TokenLayout TokenLayout::from_counts(std::vector<std::int64_t> counts) {
  TokenLayout layout;
  layout.offset.resize(counts.size());
  std::int64_t at = 0;
  for (std::size_t n = 0; n < counts.size(); ++n) {
    layout.offset[n] = at;
    at += counts[n];
  }
  layout.count = std::move(counts);
  layout.total_rows = at;
  return layout;
}

}  // namespace tl

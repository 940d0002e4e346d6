#include "app/gui/model_pair.h"

#include <algorithm>
#include <cmath>

namespace tl::app {

int relative_layer(int l, int layers_from, int layers_to) {
  if (layers_to <= 0) return 1;
  if (layers_from <= 0) return std::clamp(l, 1, layers_to);
  const int mapped = static_cast<int>(std::lround(static_cast<double>(l) * layers_to / layers_from));
  return std::clamp(mapped, 1, layers_to);
}

std::pair<std::size_t, std::size_t> byte_range(const Encoding& e, int first, int last) {
  const int n = static_cast<int>(e.spans.size());
  first = std::clamp(first, 0, n - 1);
  last = std::clamp(last, first, n - 1);
  std::size_t b = e.spans[static_cast<std::size_t>(first)].first,
              end = e.spans[static_cast<std::size_t>(first)].second;
  for (int k = first; k <= last; ++k) {
    const auto& s = e.spans[static_cast<std::size_t>(k)];
    if (s.first == s.second && first != last) continue;  // inserted tokens inside a range add nothing
    b = std::min(b, s.first);
    end = std::max(end, s.second);
  }
  return {b, end};
}

std::vector<int> overlapping_tokens(const Encoding& to, std::size_t begin, std::size_t end) {
  std::vector<int> out;
  for (std::size_t k = 0; k < to.spans.size(); ++k) {
    const auto& s = to.spans[k];
    const bool empty_query = begin == end, empty_token = s.first == s.second;
    const bool hit =
        empty_query ? (empty_token && s.first == begin) : (!empty_token && s.first < end && begin < s.second);
    if (hit) out.push_back(static_cast<int>(k));
  }
  return out;
}

}  // namespace tl::app

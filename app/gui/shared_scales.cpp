#include "app/gui/shared_scales.h"

namespace tl::app {

std::string scale_family(const Map& map) {
  return map.provenance.method + (map.is_signed ? " (signed)" : " (unsigned)");
}

namespace {
bool same_ranges(const SharedScales::Ranges& a, const SharedScales::Ranges& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first || ia->second.empty != ib->second.empty || ia->second.lo != ib->second.lo ||
        ia->second.hi != ib->second.hi)
      return false;
  }
  return true;
}
}  // namespace

SharedScales::Ranges SharedScales::unions() const {
  Ranges out;
  for (const auto& [key, ranges] : sources_) {
    for (const auto& [family, r] : ranges) out[family] = out[family].united(r);
  }
  return out;
}

void SharedScales::update(Ranges before) {
  if (!same_ranges(before, unions())) emit changed();
}

void SharedScales::setRanges(const void* owner, const QString& source, Ranges ranges) {
  Ranges before = unions();
  sources_[{owner, source}] = std::move(ranges);
  update(std::move(before));
}

void SharedScales::clearOwner(const void* owner) {
  Ranges before = unions();
  std::erase_if(sources_, [owner](const auto& entry) { return entry.first.first == owner; });
  update(std::move(before));
}

std::optional<render::ValueRange> SharedScales::range(const std::string& family) const {
  render::ValueRange r;
  for (const auto& [key, ranges] : sources_) {
    if (auto it = ranges.find(family); it != ranges.end()) r = r.united(it->second);
  }
  if (r.empty) return std::nullopt;
  return r;
}

}  // namespace tl::app

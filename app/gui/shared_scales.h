#pragma once
// SharedScales: the colour ranges behind the "Shared scale" option, shared by every view of one
// window (and by the two slots of the two-model window), so the same value has the same colour
// wherever maps of the same method family and sign are shown.
//
// Each view (a source: the main heatmap, the layer-wise tiles, the comparison maps, ...) sets the
// ranges of what it draws, per family; a family's shared range is the union over all sources. A
// source replaces all its ranges at once, so a view that switches method drops the old family.
// The owner clears its sources when the text, model or style changes (AppContext does), because
// a hidden view keeps its last ranges until it is shown again.
//
// Limits: a range only grows while views add maps; it shrinks when a source is replaced or
// cleared. Views that draw with a shared range recolour on changed() (not recompute): their own
// ranges do not depend on the shared one, so the exchange settles after one round.
#include <QObject>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "core/lens/map.h"
#include "render/heatmap.h"

namespace tl::app {

// The family a map's colours are shared in: its method (provenance) and sign.
std::string scale_family(const Map& map);

class SharedScales : public QObject {
  Q_OBJECT
 public:
  using Ranges = std::map<std::string, render::ValueRange>;  // family -> range

  explicit SharedScales(QObject* parent = nullptr) : QObject(parent) {}

  // Replaces every range of `source` (owner: who clears it, see clearOwner). Emits changed() when
  // a family's union changed.
  void setRanges(const void* owner, const QString& source, Ranges ranges);
  // Drops every source of `owner` (its text, model or style changed).
  void clearOwner(const void* owner);
  // The union of all sources' ranges of `family`; nullopt when none has one.
  std::optional<render::ValueRange> range(const std::string& family) const;

 signals:
  void changed();

 private:
  Ranges unions() const;
  void update(Ranges before);

  std::map<std::pair<const void*, QString>, Ranges> sources_;
};

}  // namespace tl::app

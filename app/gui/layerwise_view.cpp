#include "app/gui/layerwise_view.h"

#include <QVBoxLayout>

#include "core/util/progress.h"

namespace tl::app {
namespace {

QString tile_label(Scope scope, int block, int head, int layers) {
  QString s = block > layers ? QObject::tr("end to end")
              : scope == Scope::Through && block > 1 ? QObject::tr("blocks 1..%1").arg(block)
                                                  : QObject::tr("block %1").arg(block);
  if (head >= 0) s += QObject::tr(" \u00b7 head %1").arg(head);
  return s;
}

// For narrow tiles: "B3 H2", "1..3", "end".
QString short_tile_label(Scope scope, int block, int head, int layers) {
  if (block > layers) return QObject::tr("end");
  QString s = scope == Scope::Through && block > 1 ? QStringLiteral("1..%1").arg(block) : QStringLiteral("B%1").arg(block);
  if (head >= 0) s += QStringLiteral(" H%1").arg(head);
  return s;
}

bool same_style(const render::HeatmapStyle& a, const render::HeatmapStyle& b) {
  return a.colormap == b.colormap && a.row_normalise == b.row_normalise && a.log_scale == b.log_scale &&
         a.hide_special == b.hide_special && a.group_words == b.group_words;
}

}  // namespace

Scope layerwise_scope(const MethodInfo& info, Scope chosen) {
  if (chosen == Scope::Block && info.per_layer) return Scope::Block;
  if (info.cumulative && !info.explains_prediction && info.attribution) return Scope::Through;
  if (info.per_layer) return Scope::Block;
  return Scope::EndToEnd;
}

Result<LayerTiles> compute_layer_tiles(const SessionPtr& session, const Analysis& analysis, const MapChoice& choice,
                                       const render::HeatmapStyle& style, const CellColourer& colour,
                                       Progress* progress) {
  const MethodInfo* info = find_method(choice.method);
  if (!info) return make_error("unknown method '" + choice.method + "'");
  if (!analysis.trace) return make_error("no forward pass yet");
  LayerTiles out;
  out.method = choice.method;
  out.scope = layerwise_scope(*info, choice.scope);
  if (out.scope == Scope::EndToEnd) {
    return make_error(choice.method + " explains the model's final output only: it has no layer-wise maps");
  }
  const int layers = session->spec().num_layers;
  const int heads = session->spec().num_heads;
  // The one every-block loop (engine::Session::series): a TensorLens series is one engine run,
  // plus the end-to-end map after the final norm where the family has one; per-head methods give
  // every head of every block.
  MethodRequest req;
  req.head = info->per_head ? -1 : 0;
  auto series = session->series(analysis, choice.method, out.scope, req, progress);
  if (!series) return series.error();
  std::vector<Map> maps = std::move(series->maps);
  for (std::size_t k = 0; k < maps.size(); ++k)
    out.choices.push_back({.method = choice.method, .scope = out.scope, .block = series->blocks[k],
                           .head = std::max(0, series->heads[k])});
  if (maps.empty()) return make_error(choice.method + ": the method gave no map");
  if (info->per_head) out.columns = heads;

  // One colour scale for all: the union of their ranges under the style (as drawn: words summed,
  // special tokens and the sink left out when the style says so).
  out.family = scale_family(maps.front());
  for (std::size_t k = 0; k < maps.size(); ++k) {
    const MapChoice& c = out.choices[k];
    out.shown.push_back(displayed_map(std::make_shared<const Map>(std::move(maps[k])), analysis, style, session->spec().causal));
    out.range = out.range.united(displayed_range(out.shown.back(), style));
    const int head = info->per_head ? c.head : -1;
    out.tiles.push_back({out.shown.back().map, {}, tile_label(out.scope, c.block, head, layers),
                         short_tile_label(out.scope, c.block, head, layers)});
    if (c.block > layers) out.choices[k].scope = Scope::EndToEnd;  // the series' end-to-end map
  }
  colour_layer_tiles(out, style, colour, std::nullopt);
  return out;
}

void colour_layer_tiles(LayerTiles& tiles, const render::HeatmapStyle& style, const CellColourer& colour,
                        const std::optional<render::ValueRange>& shared) {
  render::HeatmapStyle s = style;
  tiles.drawn = shared ? tiles.range.united(*shared) : tiles.range;
  tiles.shared = shared.has_value();
  s.fixed_range = tiles.drawn;
  for (std::size_t k = 0; k < tiles.tiles.size(); ++k) {
    const DisplayedMap& shown = tiles.shown[k];
    if (colour) {
      const auto cells = colour(shown, s);
      if (k == 0) tiles.scale = cells->prepared.scale;
      tiles.tiles[k].image = cells->image;
    } else {
      const render::PreparedHeatmap prepared = render::prepare_heatmap(*shown.map, s, shown.special);
      if (k == 0) tiles.scale = prepared.scale;
      tiles.tiles[k].image = render::rasterize_cells(prepared);
    }
  }
}

LayerwiseView::LayerwiseView(AppContext* context, QWidget* parent) : AnalysisView(context, QStringLiteral("layers"), parent) {
  auto* layout = new QVBoxLayout(this);
  heading_ = new QLabel(this);
  heading_->setWordWrap(true);
  tiles_ = new SmallMultiples(this);
  layout->addWidget(heading_);
  layout->addWidget(message_);
  layout->addWidget(tiles_, 1);
  connect(context_, &AppContext::mapChoiceChanged, this, &AnalysisView::invalidate);
  connect(context_, &AppContext::styleChanged, this, &AnalysisView::invalidate);
  connect(&context_->scales(), &SharedScales::changed, this, &LayerwiseView::sharedRangesChanged);
  connect(tiles_, &SmallMultiples::tileActivated, this, &LayerwiseView::openTile);
}

void LayerwiseView::recompute() {
  const auto analysis = context_->analysis();
  if (!analysis || !analysis->trace || !context_->hasModel()) {
    setMessage(tr("No analysis yet: type a sentence."));
    return;
  }
  const MapChoice choice = context_->mapChoice();
  const render::HeatmapStyle style = context_->style();
  const MethodInfo* info = find_method(choice.method);
  const Scope scope = info ? layerwise_scope(*info, choice.scope) : Scope::Block;
  // Moving the block or head (for example by clicking a tile) keeps the tiles: only the frame moves.
  if (shown_ && shown_analysis_ == analysis && shown_method_ == choice.method && shown_scope_ == scope &&
      same_style(shown_style_, style)) {
    context_->scales().setRanges(context_, QStringLiteral("layers"), {{shown_->family, shown_->range}});
    sharedRangesChanged();  // the shared scale may have been switched on or off
    highlightCurrent();
    finished();
    return;
  }
  setMessage(tr("Computing %1 for every block\u2026").arg(QString::fromStdString(choice.method)));
  post([this, session = context_->session(), analysis, choice, style, scope,
        colour = colourer()](Progress& progress) -> std::function<void()> {
    auto tiles = compute_layer_tiles(session, *analysis, choice, style, colour, &progress);
    if (!tiles) {
      return [this, e = QString::fromStdString(tiles.error().message)] {
        shown_.reset();
        tiles_->clear();
        heading_->clear();
        setMessage(e);
      };
    }
    auto shown = std::make_shared<const LayerTiles>(std::move(tiles.value()));
    return [this, shown, analysis, choice, style, scope] {
      shown_analysis_ = analysis;
      shown_method_ = choice.method;
      shown_scope_ = scope;
      shown_style_ = style;
      setMessage({});
      const QString what = scope == Scope::Block ? tr("each block alone") : tr("blocks 1..l, composed");
      heading_->setText(tr("<b>%1</b>, %2: %3 maps on one colour scale. Hover a tile for values; click one to open it large.")
                            .arg(QString::fromStdString(choice.method), what)
                            .arg(shown->tiles.size()));
      showTiles(shown);
      // The family is known only now: add the tiles' range, then recolour on the shared range
      // when it is on (the tiles were coloured on their own range).
      context_->scales().setRanges(context_, QStringLiteral("layers"), {{shown->family, shown->range}});
      sharedRangesChanged();
    };
  });
}

void LayerwiseView::showTiles(std::shared_ptr<const LayerTiles> tiles) {
  shown_ = std::move(tiles);
  const QString method = QString::fromStdString(shown_->method);
  tiles_->setTiles(shown_->tiles, shown_->scale, shown_->columns, method, shown_->shared ? tr("shared") : QString());
  highlightCurrent();
}

void LayerwiseView::sharedRangesChanged() {
  if (!shown_) return;
  const auto shared = context_->sharedRange(shown_->family);
  if (!shared && !shown_->shared) return;
  const render::ValueRange want = shared ? shown_->range.united(*shared) : shown_->range;
  if (shown_->shared == shared.has_value() && want.lo == shown_->drawn.lo && want.hi == shown_->drawn.hi) return;
  postRecolour([this, tiles = shown_, style = shown_style_, shared, colour = colourer()](Progress&) -> std::function<void()> {
    auto recoloured = std::make_shared<LayerTiles>(*tiles);
    colour_layer_tiles(*recoloured, style, colour, shared);
    return [this, tiles, recoloured] {
      if (tiles == shown_) showTiles(recoloured);  // else newer tiles are shown
    };
  });
}

void LayerwiseView::highlightCurrent() {
  if (!shown_) return;
  const MapChoice& c = context_->mapChoice();
  int found = -1;
  for (int k = 0; k < static_cast<int>(shown_->choices.size()); ++k) {
    const MapChoice& t = shown_->choices[static_cast<std::size_t>(k)];
    const bool same_block = c.scope == Scope::EndToEnd ? t.scope == Scope::EndToEnd : (t.scope == c.scope && t.block == c.block);
    if (same_block && (shown_->columns == 0 || t.head == c.head)) found = k;
  }
  tiles_->setHighlighted(found);
}

void LayerwiseView::openTile(int k) {
  if (!shown_ || k < 0 || k >= static_cast<int>(shown_->choices.size())) return;
  const MapChoice& c = shown_->choices[static_cast<std::size_t>(k)];
  context_->setScope(c.scope);
  if (c.scope != Scope::EndToEnd) context_->setBlock(c.block);
  context_->setHead(c.head);
  highlightCurrent();
  emit openInHeatmap();
}

}  // namespace tl::app

#include "app/gui/app_context.h"

#include <algorithm>

#include "core/engine/device_policy.h"
#include "render/vulkan_heatmap.h"

namespace tl::app {

namespace {
const QString kModelJob = QStringLiteral("model");
const QString kAnalysisJob = QStringLiteral("analysis");
const QString kMapJob = QStringLiteral("map");
const QString kCellsJob = QStringLiteral("cells");
}  // namespace

AppContext::AppContext(QObject* parent)
    : QObject(parent),
      jobs_(new JobQueue(this)),
      device_(std::make_shared<engine::Device>("auto")),
      scales_(std::make_shared<SharedScales>()) {
  // Readability default: BOS/CLS/SEP attention sinks would otherwise take the whole colour scale.
  style_.hide_special = true;
  prefer_vulkan_ = qEnvironmentVariable("TL_RENDERER").toLower() != QLatin1String("cpu");
  connect(jobs_, &JobQueue::busyChanged, this, [this](bool) { setBusy(jobs_->busy()); });
  connect(jobs_, &JobQueue::progress, this,
          [this](const QString&, double fraction, const QString& what) { emit progressChanged(fraction, what); });
  connect(jobs_, &JobQueue::failed, this,
          [this](const QString& tag, const QString& message) { emit errorOccurred(tag + QStringLiteral(": ") + message); });
  connectScales();
  // What views drew for another text, model or style says nothing about the new one.
  for (auto signal : {&AppContext::analysisChanged, &AppContext::modelChanged, &AppContext::styleChanged})
    connect(this, signal, this, [this] { scales_->clearOwner(this); });
}

AppContext::~AppContext() {
  // Join the worker before the members its jobs use are destroyed.
  delete jobs_;
  jobs_ = nullptr;
  disconnect(scales_.get(), nullptr, this, nullptr);
  scales_->clearOwner(this);  // another context may still share the scales
}

void AppContext::connectScales() {
  connect(scales_.get(), &SharedScales::changed, this, &AppContext::sharedRangesChanged);
}

void AppContext::shareScalesWith(AppContext* other) {
  if (other->scales_ == scales_) return;
  disconnect(scales_.get(), nullptr, this, nullptr);
  scales_->clearOwner(this);
  scales_ = other->scales_;
  connectScales();
  if (shared_scale_) postMap();  // add this context's blocks to the shared ranges
}

// Recolour the main map when its family's shared range moved (another view drew a wider range).
void AppContext::sharedRangesChanged() {
  if (!shared_scale_ || !map_ || !cells_) return;
  const auto now = sharedRange();
  const auto& drawn = cells_->style.fixed_range;
  const bool same = now.has_value() == drawn.has_value() && (!now || (now->lo == drawn->lo && now->hi == drawn->hi));
  if (!same) postCells();
}

void AppContext::setBusy(bool busy) {
  if (busy == busy_) return;
  busy_ = busy;
  emit busyChanged(busy);
}

// ---------------------------------------------------------------- model

void AppContext::loadEmbeddedModel() {
  emit progressChanged(0.0, tr("loading the embedded model"));
  jobs_->post(kModelJob, this, [this, device = device_](Progress&) -> JobQueue::Continuation {
    auto session = engine::Session::open_embedded(device);
    if (!session) return [this, e = session.error().message] { emit errorOccurred(QString::fromStdString(e)); };
    return [this, s = std::move(session.value())] { setSession(s); };
  });
}

void AppContext::openModelFolder(const QString& folder) {
  emit progressChanged(0.0, tr("loading %1").arg(folder));
  jobs_->post(kModelJob, this, [this, device = device_, folder = folder.toStdString()](Progress&) -> JobQueue::Continuation {
    auto session = engine::Session::open_folder(folder, device);
    if (!session) return [this, e = session.error().message] { emit errorOccurred(QString::fromStdString(e)); };
    return [this, s = std::move(session.value())] { setSession(s); };
  });
}

void AppContext::setSession(const SessionPtr& session) {
  session_ = !session || session->device_ptr() == device_ ? session : session->with_device(device_);
  choice_.target_token = -1;  // a vocabulary id means nothing in another model's vocabulary
  if (session_) choice_ = normalised(choice_, session_->spec());
  emit modelChanged();
  emit mapChoiceChanged();
  retokenize();
}

int AppContext::numBlocks() const { return session_ ? session_->spec().num_layers : 0; }

// ---------------------------------------------------------------- text

void AppContext::setText(const QString& text) {
  if (text == text_ && analysis_) return;
  text_ = text;
  emit textChanged();
  retokenize();
}

void AppContext::retokenize() {
  ++generation_;
  encoding_ = {};
  token_labels_.clear();
  // The engine's budgets (core/forward/input_limits.h; Session::encode and Session::analyse apply
  // them): an oversized paste is refused with the estimate in the message before the tokenizer or
  // the forward pass allocate for it. The token count is checked here too, so a refused text
  // still shows its tokens and posts no work.
  Status fits;
  if (session_) {
    const QByteArray utf8 = text_.toUtf8();
    auto encoded = session_->encode(std::string_view(utf8.constData(), static_cast<std::size_t>(utf8.size())));
    if (encoded) {
      encoding_ = std::move(encoded.value());
      for (int id : encoding_.ids)
        token_labels_.push_back(session_->tokenizer() ? session_->tokenizer()->display_token(id) : "#" + std::to_string(id));
    } else {
      fits = encoded.error();
    }
  }
  if (fits && session_) fits = check_input_size(session_->spec(), static_cast<std::int64_t>(encoding_.size()), session_->limits());
  selected_i_ = selected_j_ = -1;
  emit encodingChanged();
  emit selectionChanged();
  if (!fits) emit errorOccurred(QString::fromStdString(fits.error().message));
  else if (session_) postAnalysis();
}

void AppContext::postAnalysis() {
  const quint64 generation = generation_;
  emit progressChanged(0.0, tr("forward pass (%n tokens)", nullptr, static_cast<int>(encoding_.size())));
  jobs_->post(kAnalysisJob, this,
              [this, generation, session = session_, text = text_, encoding = encoding_](Progress&) -> JobQueue::Continuation {
                auto result = session->analyse(text.toStdString(), encoding);
                if (!result) {
                  return [this, generation, e = result.error().message] {
                    if (generation == generation_) emit errorOccurred(QString::fromStdString(e));
                  };
                }
                auto analysis = std::make_shared<const Analysis>(std::move(result.value()));
                return [this, generation, analysis] {
                  if (generation != generation_) return;  // the text or model changed meanwhile
                  analysis_ = analysis;
                  emit analysisChanged();
                  postMap();
                };
              });
}

// ---------------------------------------------------------------- map

void AppContext::setChoice(MapChoice choice) {
  // Without a model the wish is kept; setSession() makes it valid for the model.
  if (hasModel()) choice = normalised(std::move(choice), session_->spec());
  const bool same = choice.method == choice_.method && choice.scope == choice_.scope && choice.block == choice_.block &&
                    choice.head == choice_.head && choice.target_token == choice_.target_token;
  if (same) return;
  choice_ = std::move(choice);
  emit mapChoiceChanged();
  postMap();
}

void AppContext::setMethod(const QString& name) {
  MapChoice c = choice_;
  c.method = name.toStdString();
  setChoice(std::move(c));
}

void AppContext::setScope(Scope scope) {
  MapChoice c = choice_;
  c.scope = scope;
  setChoice(std::move(c));
}

void AppContext::setBlock(int block) {
  MapChoice c = choice_;
  c.block = std::max(1, block);
  setChoice(std::move(c));
}

void AppContext::setHead(int head) {
  MapChoice c = choice_;
  c.head = std::max(0, head);
  setChoice(std::move(c));
}

void AppContext::setTarget(int token_id) {
  MapChoice c = choice_;
  c.target_token = std::max(-1, token_id);
  setChoice(std::move(c));
}

void AppContext::setStyle(const render::HeatmapStyle& style) {
  style_ = style;
  style_.fixed_range.reset();  // the shared range is the context's business (setSharedScale)
  emit styleChanged();
  if (shared_scale_) postMap();  // the union of ranges depends on the style (the map job recolours)
  else postCells();
}

void AppContext::setSharedScale(bool shared) {
  if (shared == shared_scale_) return;
  shared_scale_ = shared;
  emit styleChanged();
  postMap();
}

std::optional<render::ValueRange> AppContext::sharedRange(const std::string& family) const {
  if (!shared_scale_) return std::nullopt;
  return scales_->range(family);
}

std::optional<render::ValueRange> AppContext::sharedRange() const {
  if (!map_) return std::nullopt;
  return sharedRange(scale_family(*map_));
}

render::HeatmapStyle AppContext::effectiveStyle() const {
  render::HeatmapStyle s = style_;
  s.fixed_range = sharedRange();
  return s;
}

void AppContext::postMap() {
  if (!analysis_ || !analysis_->trace || analysis_->trace->num_layers() == 0) {
    map_.reset();
    emit mapChanged();
    postCells();
    return;
  }
  const quint64 generation = generation_;
  emit progressChanged(0.0, tr("%1, %2").arg(QString::fromStdString(choice_.method), QString::fromLatin1(to_string(choice_.scope))));
  jobs_->post(kMapJob, this,
              [this, generation, session = session_, analysis = analysis_, choice = choice_, shared = shared_scale_,
               style = style_](Progress& progress) -> JobQueue::Continuation {
                auto fail = [this, generation](const Error& e) -> JobQueue::Continuation {
                  return [this, generation, m = e.message] {
                    if (generation != generation_) return;
                    map_.reset();
                    emit errorOccurred(QString::fromStdString(m));
                    emit mapChanged();
                    postCells();
                  };
                };
                std::shared_ptr<const Map> map;
                std::optional<render::ValueRange> range;
                const bool causal = session->spec().causal;
                if (shared && choice.scope != Scope::EndToEnd) {
                  // Every block of the method and scope on one scale: the engine's one series
                  // (a TensorLens series is one engine run).
                  const MethodInfo* info = find_method(choice.method);
                  if (!info) return fail(make_error("unknown method '" + choice.method + "'"));
                  auto series = session->series(*analysis, choice.method, choice.scope,
                                                engine::method_request(choice, *info), &progress);
                  if (!series) return fail(series.error());
                  render::ValueRange all;
                  for (std::size_t k = 0; k < series->maps.size(); ++k) {
                    if (series->blocks[k] > session->spec().num_layers) continue;  // the end-to-end map
                    auto block = std::make_shared<const Map>(std::move(series->maps[k]));
                    all = all.united(displayed_range(displayed_map(block, *analysis, style, causal), style));
                    if (series->blocks[k] == choice.block) map = block;
                  }
                  if (!map) return fail(make_error(choice.method + ": no map for block " + std::to_string(choice.block)));
                  range = all;
                } else {
                  auto m = session->compute_map(*analysis, choice, &progress);
                  if (!m) return fail(m.error());
                  map = std::make_shared<const Map>(std::move(m.value()));
                  if (shared) range = displayed_range(displayed_map(map, *analysis, style, causal), style);
                }
                auto special = special_tokens(analysis->encoding, analysis->labels, *map, causal);
                return [this, generation, map, range, special] {
                  if (generation != generation_) return;
                  map_ = map;
                  special_ = special;
                  emit mapChanged();
                  if (range) scales_->setRanges(this, QStringLiteral("heatmap"), {{scale_family(*map), *range}});
                  postCells();
                };
              });
}

void AppContext::setComputeDevice(const QString& choice) {
  if (engine::normalise_device_choice(choice.toStdString()) == device_->choice()) return;
  {
    std::lock_guard lock(device_mutex_);
    device_ = std::make_shared<engine::Device>(choice.toStdString());
  }
  vulkan_failed_ = false;
  if (session_) session_ = session_->with_device(device_);
  if (hasModel()) retokenize();  // analyse again on the new device
}

QString AppContext::computeDevice() const { return QString::fromStdString(device_->choice()); }

void AppContext::setPreferVulkan(bool prefer) {
  if (prefer == prefer_vulkan_) return;
  prefer_vulkan_ = prefer;
  postCells();
}

void AppContext::postCells() {
  if (!map_) {
    cells_.reset();
    emit cellsChanged();
    emit analysisFinished();
    return;
  }
  const quint64 generation = generation_;
  jobs_->post(kCellsJob, this,
              [this, generation, map = map_, style = effectiveStyle(), special = special_, analysis = analysis_,
               prefer = prefer_vulkan_, causal = session_ && session_->spec().causal](Progress&) -> JobQueue::Continuation {
                // Words as rows/columns: the cells show the grouped map; the context keeps tokens.
                const DisplayedMap shown = analysis ? displayed_map(map, *analysis, style, causal) : DisplayedMap{map, special, {}};
                QString vulkan_problem;
                auto cells = colourDisplayed(shown, style, prefer, &vulkan_problem);
                return [this, generation, cells, vulkan_problem] {
                  if (!vulkan_problem.isEmpty()) emit errorOccurred(tr("Vulkan unavailable, drawing on the CPU: %1").arg(vulkan_problem));
                  if (generation != generation_) return;
                  cells_ = cells;
                  emit cellsChanged();
                  emit analysisFinished();
                };
              });
}

std::shared_ptr<RenderedCells> AppContext::colourCells(std::shared_ptr<const Map> map, const render::HeatmapStyle& style,
                                                       const render::SpecialTokens& special, bool prefer_vulkan,
                                                       QString* vulkan_problem) {
  auto cells = std::make_shared<RenderedCells>();
  cells->map = map;
  cells->style = style;
  cells->special = special;
  cells->prepared = render::prepare_heatmap(*map, style, special);
  QString problem;
  if (prefer_vulkan && !vulkan_failed_) {
    // Coloured on the session's device, the one that computed the map (none: the CPU draws).
    std::shared_ptr<engine::Device> device;
    {
      std::lock_guard lock(device_mutex_);
      device = device_;
    }
    device->with_gpu_context([&](const std::shared_ptr<gpu::Context>& ctx) {
      if (!ctx) return;
      render::VulkanHeatmapRenderer renderer(ctx);
      auto image = renderer.render(cells->prepared, QSize(map->cols(), map->rows()));
      if (image) {
        cells->image = std::move(image.value());
        cells->renderer = QStringLiteral("Vulkan (%1)").arg(QString::fromStdString(renderer.device().name));
      } else {
        problem = QString::fromStdString(image.error().message);
      }
    });
    if (!problem.isEmpty()) vulkan_failed_ = true;
  }
  if (cells->image.isNull()) {
    cells->image = render::rasterize_cells(cells->prepared);
    cells->renderer = QStringLiteral("CPU");
  }
  if (vulkan_problem) *vulkan_problem = problem;
  return cells;
}

std::shared_ptr<RenderedCells> AppContext::colourDisplayed(const DisplayedMap& shown, const render::HeatmapStyle& style,
                                                           bool prefer_vulkan, QString* vulkan_problem) {
  auto cells = colourCells(shown.map, style, shown.special, prefer_vulkan, vulkan_problem);
  cells->words = shown.words;
  cells->word_rows = shown.word_rows;
  cells->word_cols = shown.word_cols;
  return cells;
}

void AppContext::setSelectedPair(int i, int j) {
  if (i == selected_i_ && j == selected_j_) return;
  selected_i_ = i;
  selected_j_ = j;
  emit selectionChanged();
}

}  // namespace tl::app

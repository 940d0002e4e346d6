#include "core/methods/attention_flow.h"

#include <algorithm>
#include <limits>
#include <queue>

#include "core/util/assert.h"

namespace tl::methods {

FlowNetwork::FlowNetwork(int nodes) : adjacency_(size_t(nodes)), level_(size_t(nodes)), next_arc_(size_t(nodes)) {}

int FlowNetwork::add_edge(int from, int to, double capacity) {
  TL_DEBUG_ASSERT(from >= 0 && from < num_nodes() && to >= 0 && to < num_nodes(),
                  "FlowNetwork::add_edge: node outside the network");
  TL_DEBUG_ASSERT(capacity >= 0, "FlowNetwork::add_edge: negative capacity");
  const int id = num_edges();
  adjacency_[size_t(from)].push_back(int(edges_.size()));
  edges_.push_back({to, capacity, 0.0});
  adjacency_[size_t(to)].push_back(int(edges_.size()));
  edges_.push_back({from, 0.0, 0.0});
  return id;
}

bool FlowNetwork::build_levels(int source, int sink) {
  std::fill(level_.begin(), level_.end(), -1);
  std::queue<int> queue;
  level_[size_t(source)] = 0;
  queue.push(source);
  while (!queue.empty()) {
    const int u = queue.front();
    queue.pop();
    for (int a : adjacency_[size_t(u)]) {
      const Arc& arc = edges_[size_t(a)];
      if (level_[size_t(arc.to)] < 0 && arc.capacity - arc.flow > kEpsilon) {
        level_[size_t(arc.to)] = level_[size_t(u)] + 1;
        queue.push(arc.to);
      }
    }
  }
  return level_[size_t(sink)] >= 0;
}

double FlowNetwork::push(int u, int sink, double limit) {
  if (u == sink) return limit;
  auto& arcs = adjacency_[size_t(u)];
  for (int& k = next_arc_[size_t(u)]; k < int(arcs.size()); ++k) {
    const int a = arcs[size_t(k)];
    Arc& arc = edges_[size_t(a)];
    const double residual = arc.capacity - arc.flow;
    if (residual <= kEpsilon || level_[size_t(arc.to)] != level_[size_t(u)] + 1) continue;
    const double pushed = push(arc.to, sink, std::min(limit, residual));
    if (pushed > 0) {
      arc.flow += pushed;
      edges_[size_t(a ^ 1)].flow -= pushed;
      return pushed;
    }
  }
  return 0;
}

double FlowNetwork::max_flow(int source, int sink) {
  for (Arc& a : edges_) a.flow = 0;
  if (source == sink) return 0;
  double total = 0;
  while (build_levels(source, sink)) {
    std::fill(next_arc_.begin(), next_arc_.end(), 0);
    while (const double pushed = push(source, sink, std::numeric_limits<double>::infinity())) total += pushed;
  }
  return total;
}

FlowNetwork layered_attention_network(const std::vector<Eigen::MatrixXd>& capacities) {
  TL_ASSERT(!capacities.empty(), "layered_attention_network: no layers");
  const int n = int(capacities.front().rows());
  const int levels = int(capacities.size()) + 1;
  FlowNetwork net(levels * n);
  for (int k = 1; k < levels; ++k) {
    const Eigen::MatrixXd& c = capacities[size_t(k - 1)];
    TL_ASSERT(c.rows() == n && c.cols() == n, "attention_flow: every layer must be N x N");
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        if (c(i, j) > 0) net.add_edge(k * n + i, (k - 1) * n + j, c(i, j));
      }
    }
  }
  return net;
}

Eigen::MatrixXd attention_flow(const std::vector<Eigen::MatrixXd>& capacities) {
  const int n = int(capacities.front().rows());
  const int top = int(capacities.size());
  FlowNetwork net = layered_attention_network(capacities);
  Eigen::MatrixXd flow(n, n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) flow(i, j) = net.max_flow(top * n + i, j);
  }
  return flow;
}

}  // namespace tl::methods

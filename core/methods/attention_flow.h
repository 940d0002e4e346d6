#pragma once
// Attention flow (Abnar & Zuidema 2020): the maximum flow from an output token to an input token
// through the layered attention graph, edge capacities the residual-augmented attention
// (A + I)/rowsum of every layer. Exact max-flow (Dinic's algorithm on real capacities).
#include <vector>

#include "core/forward/trace.h"

namespace tl::methods {

// A directed network with real capacities and Dinic's max-flow. Residual capacities below
// kEpsilon count as saturated (the capacities are probabilities, so 1e-13 is far below any
// meaningful value and far above rounding).
class FlowNetwork {
 public:
  static constexpr double kEpsilon = 1e-13;

  explicit FlowNetwork(int nodes);
  // Adds an edge and returns its id (for flow()/capacity()).
  int add_edge(int from, int to, double capacity);
  // Maximum flow from source to sink; resets every edge's flow first.
  double max_flow(int source, int sink);

  int num_nodes() const { return int(adjacency_.size()); }
  int num_edges() const { return int(edges_.size() / 2); }
  double flow(int edge) const { return edges_[size_t(2 * edge)].flow; }
  double capacity(int edge) const { return edges_[size_t(2 * edge)].capacity; }
  int edge_from(int edge) const { return edges_[size_t(2 * edge + 1)].to; }
  int edge_to(int edge) const { return edges_[size_t(2 * edge)].to; }

 private:
  struct Arc {
    int to;
    double capacity;
    double flow;
  };
  bool build_levels(int source, int sink);
  double push(int node, int sink, double limit);

  std::vector<Arc> edges_;  // arc 2e is edge e, arc 2e + 1 its reverse (capacity 0)
  std::vector<std::vector<int>> adjacency_;
  std::vector<int> level_, next_arc_;
};

// The layered graph of `capacities` (capacities[k]: layer k+1's matrix, rows = query tokens at
// level k+1, columns = key tokens at level k; level 0 = the input tokens). Node id of token i at
// level k: k * N + i. Edge ids are not exposed; use the network's edge accessors.
FlowNetwork layered_attention_network(const std::vector<Eigen::MatrixXd>& capacities);

// flow(i, j) = max-flow from token i at the top level to token j at level 0.
Eigen::MatrixXd attention_flow(const std::vector<Eigen::MatrixXd>& capacities);

}  // namespace tl::methods

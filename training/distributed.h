#pragma once
// Data-parallel training with LibTorch's own distributed layer: a c10d TCPStore for rendezvous
// and ProcessGroupGloo for collectives (CPU; the same code drives CUDA tensors through Gloo).
// Internal (torch).
#include <torch/torch.h>

#include <memory>
#include <string>

namespace ember::train {

class DataParallel {
public:
    // master: "host:port" where rank 0 serves the store. Blocks until all ranks joined (timeout
    // 120 s, then throws with a clear message).
    DataParallel(int worldSize, int rank, const std::string& master);
    ~DataParallel();
    int rank() const { return rank_; }
    int worldSize() const { return world_; }
    // Averages the gradients of `params` across ranks (one flattened all-reduce).
    void averageGradients(const std::vector<torch::Tensor>& params);
    // Copies rank 0's values into every rank's tensors.
    void broadcast(const std::vector<torch::Tensor>& tensors);
    double averageScalar(double v);
    void barrier();

private:
    struct Impl;
    std::unique_ptr<Impl> d;
    int world_ = 1, rank_ = 0;
};

} // namespace ember::train

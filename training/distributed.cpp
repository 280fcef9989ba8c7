#include "distributed.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <stdexcept>

namespace ember::train {

struct DataParallel::Impl {
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

DataParallel::DataParallel(int worldSize, int rank, const std::string& master)
    : d(std::make_unique<Impl>()), world_(worldSize), rank_(rank)
{
    if (worldSize < 1 || rank < 0 || rank >= worldSize)
        throw std::invalid_argument("rank must be in 0..world-size-1");
    const auto colon = master.rfind(':');
    if (colon == std::string::npos)
        throw std::invalid_argument("--master must be HOST:PORT (got '" + master + "')");
    const std::string host = master.substr(0, colon);
    int port = 0;
    try {
        port = std::stoi(master.substr(colon + 1));
    } catch (const std::exception&) {
        port = 0;
    }
    if (port <= 0 || port > 65535)
        throw std::invalid_argument("--master port must be 1..65535 (got '" + master.substr(colon + 1) + "')");
    c10d::TCPStoreOptions opts;
    opts.port = static_cast<uint16_t>(port);
    opts.isServer = rank == 0;
    opts.numWorkers = worldSize;
    opts.waitWorkers = true;
    opts.timeout = std::chrono::seconds(120);
    try {
        d->store = c10::make_intrusive<c10d::TCPStore>(host, opts);
        auto options = c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(300));
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(host));
        options->threads = 1;
        d->group = c10::make_intrusive<c10d::ProcessGroupGloo>(d->store, rank, worldSize, options);
    } catch (const std::exception& e) {
        std::string msg = e.what();
        if (auto nl = msg.find('\n'); nl != std::string::npos)
            msg = msg.substr(0, nl);
        throw std::runtime_error("cannot join the training group at " + master + ": " + msg);
    }
}

DataParallel::~DataParallel() = default;

void DataParallel::averageGradients(const std::vector<torch::Tensor>& params)
{
    std::vector<torch::Tensor> grads;
    for (const auto& p : params)
        grads.push_back(p.grad().defined() ? p.grad().reshape({-1}) : torch::zeros({p.numel()}, p.options()));
    if (grads.empty())
        return;
    std::vector<torch::Tensor> flat{torch::cat(grads)};
    d->group->allreduce(flat)->wait();
    flat[0].div_(world_);
    int64_t offset = 0;
    for (const auto& p : params) {
        auto g = flat[0].narrow(0, offset, p.numel()).view(p.sizes());
        if (p.grad().defined())
            p.mutable_grad().copy_(g);
        else
            p.mutable_grad() = g.clone();
        offset += p.numel();
    }
}

void DataParallel::broadcast(const std::vector<torch::Tensor>& tensors)
{
    torch::NoGradGuard ng;
    for (const auto& t : tensors) {
        std::vector<torch::Tensor> one{t.detach()};
        d->group->broadcast(one)->wait();
    }
}

double DataParallel::averageScalar(double v)
{
    std::vector<torch::Tensor> t{torch::tensor({v}, torch::kFloat64)};
    d->group->allreduce(t)->wait();
    return t[0].item<double>() / world_;
}

void DataParallel::barrier()
{
    d->group->barrier()->wait();
}

} // namespace ember::train

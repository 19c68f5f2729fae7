#include "pipeline/node_context.h"

#include <ctime>
#include <limits>

namespace facekit::pipeline {
namespace {

const Packet kEmptyPacket;

std::int64_t ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace

NodeContext::NodeContext(std::string name, std::string type, nlohmann::json options, const Contract* contract,
                         std::vector<std::string> output_types, Clock* clock, bool simulated,
                         std::shared_ptr<ControlState> control)
    : name_(std::move(name)),
      type_(std::move(type)),
      options_(options.is_null() ? nlohmann::json::object() : std::move(options)),
      contract_(contract),
      output_types_(std::move(output_types)),
      clock_(clock),
      simulated_(simulated),
      control_(std::move(control)),
      inputs_(contract->inputs().size()) {}

const Packet& NodeContext::Input(std::string_view port) const {
  const int i = contract_->FindInput(port);
  if (i < 0) return kEmptyPacket;
  return inputs_[static_cast<std::size_t>(i)];
}

Status NodeContext::Output(std::string_view port, Packet packet) {
  const int i = contract_->FindOutput(port);
  if (i < 0) {
    return Status(StatusCode::kInvalidArgument, "node \"" + name_ + "\": no output port \"" + std::string(port) +
                                                    "\" (outputs: " + contract_->OutputNames() + ")");
  }
  if (packet.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  "node \"" + name_ + "\" output \"" + std::string(port) + "\": empty packet");
  }
  const std::string& want = output_types_[static_cast<std::size_t>(i)];
  if (want != kAnyType && packet.type_name() != want) {
    return Status(StatusCode::kInvalidArgument, "node \"" + name_ + "\" output \"" + std::string(port) + "\": emits " +
                                                    std::string(packet.type_name()) + " but the port carries " + want);
  }
  staged_.push_back({i, std::move(packet)});
  return Status::Ok();
}

void NodeContext::ConsumeCpu(std::int64_t micros) {
  if (micros <= 0) return;
  if (simulated_) {
    cpu_charge_us_ += micros;
    return;
  }
  const std::int64_t until = ThreadCpuMicros() + micros;
  volatile std::uint64_t sink = 0;
  while (ThreadCpuMicros() < until) {
    for (int k = 0; k < 1000; ++k) sink = sink + static_cast<std::uint64_t>(k);
  }
}

int NodeContext::degradation_level() const {
  return control_ ? control_->degradation_level.load(std::memory_order_relaxed) : 0;
}

bool NodeContext::Degraded(std::string_view step) const {
  if (!control_) return false;
  const int level = degradation_level();
  for (std::size_t i = 0; i < control_->degradation_steps.size(); ++i) {
    if (control_->degradation_steps[i] == step) return static_cast<int>(i) < level;
  }
  return false;
}

void NodeContext::BeginCall(std::vector<Packet> inputs) {
  inputs_ = std::move(inputs);
  inputs_.resize(contract_->inputs().size());
  input_timestamp_ = std::numeric_limits<Timestamp>::max();
  bool any = false;
  for (const Packet& p : inputs_) {
    if (!p.empty() && p.timestamp() < input_timestamp_) {
      input_timestamp_ = p.timestamp();
      any = true;
    }
  }
  if (!any) input_timestamp_ = 0;
  staged_.clear();
}

}  // namespace facekit::pipeline

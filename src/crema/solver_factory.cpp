#include <map>

#include "crema/solver.hpp"

namespace crema {
namespace {

std::map<std::string, SolverCreator>& Registry() {
  static std::map<std::string, SolverCreator> registry;
  return registry;
}

std::string LegacyTypeName(SolverParameter::SolverType type) {
  switch (type) {
    case SolverParameter::SGD: return "SGD";
    case SolverParameter::NESTEROV: return "Nesterov";
    case SolverParameter::ADAGRAD: return "AdaGrad";
    case SolverParameter::RMSPROP: return "RMSProp";
    case SolverParameter::ADADELTA: return "AdaDelta";
    case SolverParameter::ADAM: return "Adam";
  }
  return "SGD";
}

// `type`, or the legacy solver_type enum when only that is set.
std::string SolverTypeName(const SolverParameter& param) {
  if (!param.has_solver_type()) return param.type();
  const std::string legacy = LegacyTypeName(param.solver_type());
  if (param.has_type() && param.type() != legacy) {
    Throw("The solver sets both the legacy solver_type (",
          SolverParameter::SolverType_Name(param.solver_type()), ") and type (",
          param.type(), "); keep only type.");
  }
  return legacy;
}

}  // namespace

void SolverRegistry::Add(const std::string& type, SolverCreator creator) {
  CHECK(!Registry().count(type)) << "solver type " << type << " registered twice";
  Registry()[type] = std::move(creator);
}

std::vector<std::string> SolverRegistry::Types() {
  std::vector<std::string> types;
  for (const auto& entry : Registry()) types.push_back(entry.first);
  return types;
}

std::unique_ptr<Solver> CreateSolver(const SolverParameter& param) {
  const std::string type = SolverTypeName(param);
  auto it = Registry().find(type);
  if (it == Registry().end()) {
    std::string known;
    for (const auto& name : SolverRegistry::Types()) {
      known += (known.empty() ? "" : ", ") + name;
    }
    Throw("Unknown solver type '", type, "'; known types: ", known, ".");
  }
  SolverParameter resolved(param);
  resolved.set_type(type);
  resolved.clear_solver_type();
  LOG(INFO) << "Creating solver of type " << type;
  return it->second(resolved);
}

}  // namespace crema

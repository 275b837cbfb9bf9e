// Solvers. Training runs without the interpreter lock; Ctrl-C during
// step() or solve() acts as it does in `tools/train`: by default the solver
// snapshots and stops, and then Python sees a KeyboardInterrupt.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "bindings.hpp"
#include "crema/signal_handler.hpp"
#include "crema/solver.hpp"

namespace py = pybind11;

namespace crema {
namespace python {
namespace {

// What SIGINT/SIGTERM and SIGHUP do while a solver runs (set_signal_effects).
SolverAction g_sigint_effect = SolverAction::STOP;
SolverAction g_sighup_effect = SolverAction::SNAPSHOT;

bool OnMainThread() {
  py::module_ threading = py::module_::import("threading");
  return threading.attr("current_thread")().is(threading.attr("main_thread")());
}

std::shared_ptr<Solver> MakeSolver(const std::string& file, const std::string& type) {
  SolverParameter param = LoadSolverParameter(file);
  if (!type.empty()) {  // SGDSolver(file) and the like: the rule named, not the file's
    param.clear_solver_type();
    param.set_type(type);
  }
  py::gil_scoped_release release;
  return std::shared_ptr<Solver>(CreateSolver(param).release());
}

// Runs `body` (a training call) with the signals routed to the solver, as
// tools/train does; only the main thread handles signals in Python. Returns
// whether a signal stopped the solver.
template <typename F>
bool Train(Solver& solver, F&& body) {
  std::optional<SignalHandler> handler;
  if (OnMainThread()) {
    handler.emplace(g_sigint_effect, g_sighup_effect);
    solver.SetActionFunction(handler->GetActionFunction());
  }
  struct Reset {
    Solver& solver;
    ~Reset() { solver.SetActionFunction({}); }
  } reset{solver};
  AssumeViewsWritten();
  py::gil_scoped_release release;
  body();
  return solver.requested_early_exit();
}

[[noreturn]] void RaiseInterrupt(const Solver& solver) {
  PyErr_SetString(PyExc_KeyboardInterrupt,
                  ("training stopped by a signal at iteration " + std::to_string(solver.iter()) +
                   "; the snapshot was written").c_str());
  throw py::error_already_set();
}

void Step(Solver& solver, int iters) {
  if (iters < 0) throw py::value_error("step: the number of iterations must be >= 0.");
  const bool stopped = Train(solver, [&] {
    solver.Step(iters);
    // tools/train leaves a snapshot behind when a signal stops it; so does step.
    const int every = solver.param().snapshot();
    if (solver.requested_early_exit() && !(every && solver.iter() % every == 0)) {
      solver.Snapshot();
    }
  });
  if (stopped) RaiseInterrupt(solver);
}

void Solve(Solver& solver, const std::optional<std::string>& resume) {
  const bool stopped = Train(solver, [&] { solver.Solve(resume.value_or("")); });
  if (stopped) RaiseInterrupt(solver);
}

void SetSignalEffects(const std::string& sigint, const std::string& sighup) {
  g_sigint_effect = ParseSolverAction(sigint);
  g_sighup_effect = ParseSolverAction(sighup);
}

void DefineSolverFactories(py::module_& m) {
  const std::pair<const char*, const char*> rules[] = {
      {"SGDSolver", "SGD"},       {"NesterovSolver", "Nesterov"}, {"AdaGradSolver", "AdaGrad"},
      {"RMSPropSolver", "RMSProp"}, {"AdaDeltaSolver", "AdaDelta"}, {"AdamSolver", "Adam"}};
  for (const auto& [name, type] : rules) {
    const std::string rule = type;
    m.def(name, [rule](const std::string& file) { return MakeSolver(file, rule); },
          py::arg("solver_file"),
          ("A " + rule + " solver for the solver prototxt, whatever type it names.").c_str());
  }
  m.def("get_solver", [](const std::string& file) { return MakeSolver(file, ""); },
        py::arg("solver_file"), "The solver the solver prototxt's type names.");
}

}  // namespace

void BindSolver(py::module_& m) {
  py::class_<Solver, std::shared_ptr<Solver>>(m, "Solver")
      .def_property_readonly("net", &Solver::net, py::return_value_policy::reference_internal)
      .def_property_readonly("test_nets", &Solver::test_nets)
      .def_property_readonly("iter", &Solver::iter)
      .def_property_readonly("type", &Solver::type)
      .def_property_readonly("smoothed_loss", &Solver::smoothed_loss)
      .def_property_readonly("test_scores", &Solver::test_scores)
      .def("step", &Step, py::arg("iters"), "Runs `iters` training iterations.")
      .def("solve", &Solve, py::arg("resume") = py::none(),
           "Trains to max_iter, resuming from a .solverstate when given.")
      .def("restore", [](Solver& s, const std::string& path) {
             py::gil_scoped_release release;
             s.Restore(path);
           }, py::arg("state_file"))
      .def("snapshot", [](Solver& s) {
             py::gil_scoped_release release;
             s.Snapshot();
           }, "Writes <prefix>_iter_<N>.caffemodel and .solverstate.")
      .def("test_all", [](Solver& s) {
             py::gil_scoped_release release;
             s.TestAll();
           })
      .def("load_weights", [](Solver& s, const std::string& files) {
             py::gil_scoped_release release;
             s.LoadWeights(files);
           }, py::arg("weights"))
      .def("share_weights", [](Solver& s, Net& other) { other.ShareTrainedLayersWith(s.net()); },
           py::arg("net"), "Makes `net` use the train net's parameter blobs.");
  DefineSolverFactories(m);
  m.def("set_signal_effects", &SetSignalEffects, py::arg("sigint") = "stop",
        py::arg("sighup") = "snapshot",
        "What SIGINT/SIGTERM and SIGHUP do during step() and solve(): "
        "'stop' (snapshot, then KeyboardInterrupt), 'snapshot' or 'none'.");
}

}  // namespace python
}  // namespace crema

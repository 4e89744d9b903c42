#pragma once
/// A Bootstrap for ranks that are threads of one process: single-process multi-GPU runs (no MPI
/// needed) and engine tests with fake backends.

#include <memory>
#include <vector>

#include "core/bootstrap.hpp"

namespace cclbench {

class ThreadGroup;

/// Shared state of `size` threads; create one, then one bootstrap per thread.
std::shared_ptr<ThreadGroup> createThreadGroup(int size);

/// The bootstrap of thread `rank` of `group`. Every collective call must be made by all threads.
std::unique_ptr<Bootstrap> createThreadBootstrap(std::shared_ptr<ThreadGroup> group, int rank);

}  // namespace cclbench

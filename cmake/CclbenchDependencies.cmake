# Finds what cclbench builds against. Required: CLI11 and nlohmann-json (Debian packages, or the
# headers in third_party/include, which scripts/gpu-check.sh fills on machines without -dev
# packages). Optional: MPI, CUDA + NCCL, GoogleTest, Google Benchmark.

set(CCLBENCH_THIRD_PARTY_INCLUDE ${CMAKE_CURRENT_SOURCE_DIR}/third_party/include)

find_package(CLI11 CONFIG QUIET)
find_package(nlohmann_json CONFIG QUIET)
add_library(cclbench_third_party INTERFACE)
if(TARGET CLI11::CLI11)
  target_link_libraries(cclbench_third_party INTERFACE CLI11::CLI11)
endif()
if(TARGET nlohmann_json::nlohmann_json)
  target_link_libraries(cclbench_third_party INTERFACE nlohmann_json::nlohmann_json)
endif()
if(NOT TARGET CLI11::CLI11 OR NOT TARGET nlohmann_json::nlohmann_json)
  if(NOT EXISTS ${CCLBENCH_THIRD_PARTY_INCLUDE}/CLI/CLI.hpp AND NOT TARGET CLI11::CLI11)
    message(FATAL_ERROR "CLI11 not found: run scripts/setup.sh (Debian) or put CLI/ under third_party/include")
  endif()
  if(NOT EXISTS ${CCLBENCH_THIRD_PARTY_INCLUDE}/nlohmann/json.hpp AND NOT TARGET nlohmann_json::nlohmann_json)
    message(FATAL_ERROR "nlohmann-json not found: run scripts/setup.sh or put nlohmann/ under third_party/include")
  endif()
  target_include_directories(cclbench_third_party SYSTEM INTERFACE ${CCLBENCH_THIRD_PARTY_INCLUDE})
endif()

# toml++ (topology descriptions, header-only mode: one file compiles it): Debian's
# libtomlplusplus-dev, or toml++/ under third_party/include.
find_path(CCLBENCH_TOML_INCLUDE toml++/toml.h HINTS ${CCLBENCH_THIRD_PARTY_INCLUDE})
if(NOT CCLBENCH_TOML_INCLUDE)
  message(FATAL_ERROR "toml++ not found: run scripts/setup.sh (libtomlplusplus-dev) or put toml++/ under third_party/include")
endif()
add_library(cclbench_toml INTERFACE)
target_include_directories(cclbench_toml SYSTEM INTERFACE ${CCLBENCH_TOML_INCLUDE})

# --- MPI ----------------------------------------------------------------------------------------
set(CCLBENCH_HAVE_MPI OFF)
if(NOT CCLBENCH_WITH_MPI STREQUAL "OFF")
  find_package(MPI COMPONENTS C QUIET)
  if(MPI_C_FOUND)
    set(CCLBENCH_HAVE_MPI ON)
    # The C API only, from C++ (no deprecated C++ bindings).
    add_library(cclbench_mpi INTERFACE)
    target_link_libraries(cclbench_mpi INTERFACE MPI::MPI_C)
    target_compile_definitions(cclbench_mpi INTERFACE OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)
    find_program(CCLBENCH_MPIRUN NAMES mpirun mpiexec HINTS ${MPIEXEC_EXECUTABLE})
  elseif(CCLBENCH_WITH_MPI STREQUAL "ON")
    message(FATAL_ERROR "CCLBENCH_WITH_MPI=ON but MPI was not found (scripts/setup.sh installs Open MPI)")
  endif()
endif()

# --- UCX (the UCX backend: UCP, Debian's libucx-dev) -----------------------------------------
set(CCLBENCH_HAVE_UCX OFF)
if(NOT CCLBENCH_WITH_UCX STREQUAL "OFF")
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(CCLBENCH_UCX QUIET IMPORTED_TARGET ucx)
  endif()
  if(NOT CCLBENCH_UCX_FOUND)
    # No pkg-config: the headers and libraries where Debian's libucx-dev puts them.
    find_path(CCLBENCH_UCX_INCLUDE ucp/api/ucp.h)
    find_library(CCLBENCH_UCP_LIBRARY ucp)
    find_library(CCLBENCH_UCS_LIBRARY ucs)
    if(CCLBENCH_UCX_INCLUDE AND CCLBENCH_UCP_LIBRARY AND CCLBENCH_UCS_LIBRARY)
      add_library(PkgConfig::CCLBENCH_UCX INTERFACE IMPORTED)
      set_target_properties(PkgConfig::CCLBENCH_UCX PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${CCLBENCH_UCX_INCLUDE}"
        INTERFACE_LINK_LIBRARIES "${CCLBENCH_UCP_LIBRARY};${CCLBENCH_UCS_LIBRARY}")
      set(CCLBENCH_UCX_FOUND ON)
    endif()
  endif()
  if(CCLBENCH_UCX_FOUND)
    set(CCLBENCH_HAVE_UCX ON)
  elseif(CCLBENCH_WITH_UCX STREQUAL "ON")
    message(FATAL_ERROR "CCLBENCH_WITH_UCX=ON but UCX was not found (scripts/setup.sh installs libucx-dev)")
  endif()
endif()

# --- CUDA and NCCL ------------------------------------------------------------------------------
# Looked up in NCCL_HOME, CUDA_HOME and /usr/local/cuda; the backend is skipped when absent.
set(CCLBENCH_HAVE_NCCL OFF)
if(NOT CCLBENCH_WITH_NCCL STREQUAL "OFF")
  foreach(hint $ENV{CUDA_HOME} /usr/local/cuda)
    if(NOT CMAKE_CUDA_COMPILER AND EXISTS ${hint}/bin/nvcc)
      set(CMAKE_CUDA_COMPILER ${hint}/bin/nvcc)
    endif()
  endforeach()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    find_package(CUDAToolkit QUIET)
    find_path(CCLBENCH_NCCL_INCLUDE nccl.h
              HINTS $ENV{NCCL_HOME} ${NCCL_HOME} ${CUDAToolkit_INCLUDE_DIRS}
              PATH_SUFFIXES include)
    find_library(CCLBENCH_NCCL_LIBRARY NAMES nccl libnccl.so.2 NAMES_PER_DIR
                 HINTS $ENV{NCCL_HOME} ${NCCL_HOME} ${CUDAToolkit_LIBRARY_DIR}
                 PATH_SUFFIXES lib lib64)
  endif()
  if(CUDAToolkit_FOUND AND CCLBENCH_NCCL_INCLUDE AND CCLBENCH_NCCL_LIBRARY)
    set(CCLBENCH_HAVE_NCCL ON)
    if(NOT CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES ${CCLBENCH_CUDA_ARCHITECTURES})
    endif()
    enable_language(CUDA)
    message(STATUS "cclbench: NCCL ${CCLBENCH_NCCL_LIBRARY} (headers ${CCLBENCH_NCCL_INCLUDE})")
  elseif(CCLBENCH_WITH_NCCL STREQUAL "ON")
    message(FATAL_ERROR "CCLBENCH_WITH_NCCL=ON but CUDA or NCCL was not found (set CUDA_HOME / NCCL_HOME)")
  endif()
endif()

# --- SQLite (the results history) ------------------------------------------------------------
# Optional so the GPU machines (no Debian -dev packages) can build the measuring parts.
find_package(SQLite3 QUIET)
set(CCLBENCH_HAVE_STORE ${SQLite3_FOUND})

# --- Tests and benchmarks ------------------------------------------------------------------------
find_package(GTest QUIET)
find_package(benchmark QUIET)
find_package(Threads REQUIRED)

# FindCAF: locates the C++ Actor Framework 0.17 as Debian ships it (libcaf-dev).
#
# Debian's package installs headers and shared libraries but no CMake config and
# no pkg-config file, so find_package(CAF) needs this module. It defines the
# imported targets CAF::core and (when libcaf_io is there) CAF::io and sets
# CAF_VERSION (e.g. 1706). Sluice links only CAF::core.
#
# CAF_PREFIX, when set, is the only place looked in (the ThreadSanitizer build
# links a CAF built with TSan there, whose libraries have the same names and
# SONAMEs as Debian's: the executables find them by their RUNPATH).

if(CAF_PREFIX)
  set(_caf_search PATHS "${CAF_PREFIX}" NO_DEFAULT_PATH)
  # A build directory configured before CAF_PREFIX was set has Debian's paths
  # in its cache: those are looked up again.
  foreach(_caf_var CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY)
    if(DEFINED CACHE{${_caf_var}} AND NOT "${${_caf_var}}" MATCHES "^${CAF_PREFIX}/")
      unset(${_caf_var} CACHE)
    endif()
  endforeach()
endif()
find_path(CAF_INCLUDE_DIR NAMES caf/all.hpp PATH_SUFFIXES include ${_caf_search})
find_library(CAF_CORE_LIBRARY NAMES caf_core PATH_SUFFIXES lib ${_caf_search})
find_library(CAF_IO_LIBRARY NAMES caf_io PATH_SUFFIXES lib ${_caf_search})

if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_version_line
       REGEX "^#define CAF_VERSION [0-9]+")
  string(REGEX REPLACE "^#define CAF_VERSION ([0-9]+).*" "\\1" CAF_VERSION
         "${_caf_version_line}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_INCLUDE_DIR CAF_CORE_LIBRARY
  VERSION_VAR CAF_VERSION)

if(CAF_FOUND)
  if(CAF_VERSION VERSION_LESS 1700 OR NOT CAF_VERSION VERSION_LESS 1800)
    message(FATAL_ERROR "Sluice needs CAF 0.17 (found CAF_VERSION ${CAF_VERSION})")
  endif()
  if(NOT TARGET CAF::core)
    add_library(CAF::core UNKNOWN IMPORTED)
    set_target_properties(CAF::core PROPERTIES
      IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}")
    find_package(Threads REQUIRED)
    target_link_libraries(CAF::core INTERFACE Threads::Threads)
  endif()
  if(CAF_IO_LIBRARY AND NOT TARGET CAF::io)
    add_library(CAF::io UNKNOWN IMPORTED)
    set_target_properties(CAF::io PROPERTIES
      IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}")
    target_link_libraries(CAF::io INTERFACE CAF::core)
  endif()
endif()

mark_as_advanced(CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY)

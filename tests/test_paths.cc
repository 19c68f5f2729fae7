// The paths of this checkout and build, compiled into this object only
// (tests/CMakeLists.txt): with them as macros on every test's command line,
// every test object would differ between two clones and ccache could not
// share it with CI's clean clone.
#include <string>

#include "test_util.h"

namespace facekit::testing {

std::string SourceDir() { return FACEKIT_SOURCE_DIR; }
std::string CliPath() { return FACEKIT_CLI_PATH; }

}  // namespace facekit::testing

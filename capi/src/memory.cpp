// calbridge_free and the version: the library's smallest promises.
#include <calbridge.h>

#include <cstdlib>

extern "C" {

// Strings are allocated with malloc (capi/src/errors.cpp copy_out); callers still go through
// calbridge_free so that the allocator can change without an ABI break.
void calbridge_free(void* ptr) { std::free(ptr); }

const char* calbridge_version(void) { return CALBRIDGE_VERSION_STRING; }

unsigned int calbridge_version_number(void) { return CALBRIDGE_VERSION_NUMBER; }

}  // extern "C"

// calbridge_free and the version: the library's smallest promises.
#include <calbridge.h>

#include "errors.hpp"

#include <cstdlib>

extern "C" {

// Strings are allocated with malloc (capi/src/errors.cpp copy_out); callers still go through
// calbridge_free so that the allocator can change without an ABI break. Every one is a
// NUL-terminated string, and many hold secrets (credentials JSON): wiped before the free.
void calbridge_free(void* ptr) {
    calbridge::capi::wipe_string(static_cast<char*>(ptr));
    std::free(ptr);
}

const char* calbridge_version(void) { return CALBRIDGE_VERSION_STRING; }

unsigned int calbridge_version_number(void) { return CALBRIDGE_VERSION_NUMBER; }

}  // extern "C"

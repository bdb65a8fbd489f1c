// Option structs of every version this library accepts. An application built against an older
// calbridge.h hands in a shorter struct: only the fields of its version are read (reading
// further would read past its end), and the fields added since take their defaults.
#pragma once

#include <calbridge.h>

namespace calbridge::capi {

// Copies of `given` as the current version: InvalidArgumentError naming `name` when its
// version is not one this library knows.
calbridge_client_options current_client_options(const calbridge_client_options& given, const char* name);
calbridge_token_store current_token_store(const calbridge_token_store& given, const char* name);

// Fills `*target` with the defaults of `version` (already checked), writing only that
// version's fields.
void init_client_options(calbridge_client_options& target, unsigned int version);
void init_token_store(calbridge_token_store& target, unsigned int version);

}  // namespace calbridge::capi

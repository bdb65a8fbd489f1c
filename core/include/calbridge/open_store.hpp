// One way to name a token store on every surface (C++, C option, Python store=, CLI --store).
#pragma once

#include <calbridge/store.hpp>

#include <memory>
#include <string_view>

namespace calbridge {

// Opens the store a name describes:
//   memory:                       a MemoryTokenStore (this process only)
//   file:DIR                      a FileTokenStore in DIR
//   sqlite:PATH                   a SqliteTokenStore in the database file PATH
//   postgresql://... postgres://...  a PostgresTokenStore (the name is the libpq connection URI)
// A relative path is taken from the current directory. Anything else is a ConfigurationError
// naming the scheme (never the rest, which may hold a password); a store that cannot be opened
// is a StoreError.
std::shared_ptr<TokenStore> open_token_store(std::string_view name);

}  // namespace calbridge

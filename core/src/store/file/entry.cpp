#include "store/file/entry.hpp"

#include <calbridge/errors.hpp>

#include "credentials/credentials_json.hpp"
#include "store/file/atomic_write.hpp"
#include "store/file/file_io.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <utility>

#include <fcntl.h>

namespace calbridge::detail::file_store {

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// The optional lease fields; absent in files written before the lease existed.
void parse_lease_fields(const json::object& object, Entry& entry, const fs::path& file) {
    if (const auto* mark = object.if_contains("reauthorization_required")) {
        if (!mark->is_bool()) throw_corrupt(file, "\"reauthorization_required\" is not a boolean");
        entry.current.reauthorization_required = mark->get_bool();
    }
    if (const auto* epoch = object.if_contains("lease_epoch")) {
        json::error_code ec;
        entry.lease_epoch = epoch->is_number() ? epoch->to_number<std::uint64_t>(ec) : 0;
        if (!epoch->is_number() || ec) throw_corrupt(file, "\"lease_epoch\" is not a non-negative integer");
    }
    if (const auto* lease = object.if_contains("lease")) {
        const auto* fields = lease->if_object();
        const auto* owner = fields != nullptr ? fields->if_contains("owner") : nullptr;
        const auto* until = fields != nullptr ? fields->if_contains("until") : nullptr;
        json::error_code ec;
        StoredLease parsed;
        if (owner != nullptr && owner->is_string()) parsed.owner = std::string(owner->get_string());
        if (until != nullptr && until->is_number()) parsed.until_ms = until->to_number<std::int64_t>(ec);
        if (owner == nullptr || !owner->is_string() || until == nullptr || !until->is_number() || ec) {
            throw_corrupt(file, "\"lease\" is not {\"owner\": string, \"until\": integer}");
        }
        entry.lease = std::move(parsed);
    }
}

Entry parse_entry(std::string_view text, const fs::path& file) {
    json::error_code ec;
    const json::value document = json::parse(text, ec, {}, detail::stored_json_parse_options());
    if (ec) throw_corrupt(file, "not valid JSON");
    const auto* object = document.if_object();
    if (object == nullptr) throw_corrupt(file, "not a JSON object");
    const auto* version = object->if_contains("version");
    const auto* credentials = object->if_contains("credentials");
    if (version == nullptr || !version->is_number()) throw_corrupt(file, "\"version\" is missing");
    Entry entry;
    entry.current.version = version->to_number<std::uint64_t>(ec);
    if (ec || entry.current.version == 0) throw_corrupt(file, "\"version\" is not a positive integer");
    if (credentials == nullptr) throw_corrupt(file, "\"credentials\" is missing");
    try {
        entry.current.credentials = detail::credentials_from_json_value(*credentials);
    } catch (const ProtocolError& e) {
        // Its message names a field, never a value, so it is safe to pass on.
        throw_corrupt(file, e.what());
    }
    parse_lease_fields(*object, entry, file);
    return entry;
}

}  // namespace

std::optional<Entry> read_entry(const fs::path& file) {
    const FileDescriptor fd = open_account_file(file, O_RDONLY);
    if (fd.get() < 0) {
        if (errno == ENOENT) return std::nullopt;
        throw_errno("cannot open", file, errno);
    }
    return parse_entry(read_all(fd, file), file);
}

void write_entry(const fs::path& directory, const AccountFiles& files, const Entry& entry) {
    json::object document;
    document["version"] = entry.current.version;
    document["credentials"] = detail::credentials_to_json_object(entry.current.credentials);
    if (entry.current.reauthorization_required) document["reauthorization_required"] = true;
    if (entry.lease_epoch > 0) document["lease_epoch"] = entry.lease_epoch;
    if (entry.lease) document["lease"] = {{"owner", entry.lease->owner}, {"until", entry.lease->until_ms}};
    write_atomically(directory, files, json::serialize(document));
}

}  // namespace calbridge::detail::file_store

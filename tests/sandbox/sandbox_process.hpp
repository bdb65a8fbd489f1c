// A calbridge-sandbox process for one test: started with --port 0 in a temporary directory,
// ready once its ready file appears, stopped with SIGTERM (and checked to exit with 0).
#pragma once

#include <calbridge/transport.hpp>

#include <string>
#include <vector>

namespace calbridge::test {

class SandboxProcess {
public:
    explicit SandboxProcess(const std::vector<std::string>& extra_args = {});
    ~SandboxProcess();
    SandboxProcess(const SandboxProcess&) = delete;
    SandboxProcess& operator=(const SandboxProcess&) = delete;

    // SIGTERM, then the exit status (0 for a clean exit).
    int stop();
    std::string log() const;

    std::string api_url;
    std::string app_url;
    std::string ca_file;
    std::string admin_token;
    std::string client_id;
    std::string client_secret;

private:
    std::string dir_;
    int pid_ = -1;
};

// Sends one request with calbridge's own transport (the one under test) and returns the reply.
HttpResponse send(Transport& transport, const std::string& method, const std::string& url,
                  std::vector<HttpHeader> headers = {}, std::string body = {});

// The admin API: JSON in, the reply out.
HttpResponse admin(Transport& transport, const SandboxProcess& sandbox, const std::string& method,
                   const std::string& path, const std::string& json_body = {});

}  // namespace calbridge::test

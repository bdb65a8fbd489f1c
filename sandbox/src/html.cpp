#include "html.hpp"

#include <array>
#include <utility>

namespace calbridge::sandbox {

namespace {

constexpr std::string_view style = R"(<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:34rem;margin:3rem auto;background:#fff;border-radius:10px;padding:2rem 2.25rem;box-shadow:0 2px 10px #0002}
h1{font-size:1.35rem;margin:.2rem 0 1rem}
.warning{background:#fff4e5;border:1px solid #f0b35b;border-radius:6px;padding:.7rem .9rem;margin:0 0 1rem}
.error{background:#fdecea;border:1px solid #e57373;border-radius:6px;padding:.7rem .9rem;margin:0 0 1rem}
ul{padding-left:1.2rem}li{margin:.25rem 0}code{background:#eef0f4;padding:.05rem .3rem;border-radius:4px}
label,legend{display:block;margin:1rem 0 .3rem;font-weight:600;padding:0}input[type=text]{width:100%;padding:.45rem;font-size:1rem}
fieldset{border:0;margin:0;padding:0}.user{display:flex;align-items:center;gap:.5rem;margin:.35rem 0}
.user label{margin:0;font-weight:400}input[type=radio]{width:1.1rem;height:1.1rem;margin:0}
:focus-visible{outline:3px solid #0b3d91;outline-offset:2px}
.buttons{display:flex;gap:.75rem;margin-top:1.5rem}
button{font-size:1rem;padding:.55rem 1.3rem;border-radius:6px;border:1px solid #888;background:#fff;cursor:pointer}
button.approve{background:#1f6feb;border-color:#1f6feb;color:#fff}
.small{color:#5b6270;font-size:.85rem}
</style>)";

constexpr std::array<std::pair<std::string_view, std::string_view>, 8> scope_descriptions{{
    {"read_account", "Read your account details (name, e-mail address, time zone)"},
    {"list_calendars", "See the list of your calendars"},
    {"read_events", "Read the events in your calendars"},
    {"create_event", "Create and update events in your calendars"},
    {"delete_event", "Delete events from your calendars"},
    {"read_free_busy", "See when you are free or busy"},
    {"create_calendar", "Create new calendars"},
    {"change_participation_status", "Accept or decline invitations for you"},
}};

std::string_view describe_scope(std::string_view scope) {
    for (const auto& [name, text] : scope_descriptions) {
        if (name == scope) return text;
    }
    return scope;
}

std::string page(std::string_view title, const std::string& content) {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
           html_escape(title) + " - calbridge sandbox</title>\n" + std::string(style) + "\n</head>\n<body>\n<main>\n" +
           content + "</main>\n</body>\n</html>\n";
}

}  // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string consent_page(const ConsentView& v) {
    // Keyboard use: the user choice has the focus on load (arrow keys pick a user), Tab goes on
    // to Allow access, then Deny. Every control has a label or its own text as its name.
    std::string c;
    c += "<p class=\"small\">calbridge sandbox &middot; sign in with your calendar</p>\n";
    c += "<h1 id=\"title\"><span id=\"app-name\">" + html_escape(v.app_name) +
         "</span> wants to access your calendar</h1>\n";
    if (!v.verified) {
        c += "<p class=\"warning\" id=\"unverified\"><strong>This application is not verified</strong>. "
             "Only continue if you trust it.</p>\n";
    }
    if (!v.message.empty()) {
        c += "<p class=\"error\" id=\"message\" role=\"alert\">" + html_escape(v.message) + "</p>\n";
    }
    c += "<p id=\"scopes-intro\">It is asking to:</p>\n<ul id=\"scopes\" aria-labelledby=\"scopes-intro\">\n";
    for (const auto& s : v.scopes) {
        c += "<li data-scope=\"" + html_escape(s) + "\">" + html_escape(describe_scope(s)) + " <code>" + html_escape(s) +
             "</code></li>\n";
    }
    c += "</ul>\n<p class=\"small\">You will be sent back to <code id=\"redirect-uri\">" + html_escape(v.redirect_uri) +
         "</code></p>\n";
    c += "<form method=\"post\" action=\"/oauth/authorize/consent\" id=\"consent\" aria-labelledby=\"title\"";
    if (!v.verified) c += " aria-describedby=\"unverified\"";
    c += ">\n<input type=\"hidden\" name=\"authorization\" value=\"" + html_escape(v.pending_id) + "\">\n";
    if (!v.fixed_account.empty()) {
        c += "<p>Adding a calendar account to <strong>" + html_escape(v.fixed_label) + "</strong>.</p>\n";
        c += "<input type=\"hidden\" name=\"user\" value=\"" + html_escape(v.fixed_account) + "\">\n";
    } else if (v.user_field) {
        c += "<label for=\"user\">Sign in as (account id or e-mail address)</label>\n"
             "<input type=\"text\" id=\"user\" name=\"user\" required autocomplete=\"username\" autofocus>\n";
    } else if (v.users.empty()) {
        c += "<p class=\"error\">This sandbox has no users yet: add some with the admin API.</p>\n";
    } else {
        // One radio button per user in a group named by its legend; the first is chosen.
        c += "<fieldset id=\"users\">\n<legend>Sign in as</legend>\n";
        for (std::size_t i = 0; i < v.users.size(); ++i) {
            const std::string id = "user-" + std::to_string(i);
            c += "<div class=\"user\"><input type=\"radio\" id=\"" + id + "\" name=\"user\" value=\"" +
                 html_escape(v.users[i].account_id) + "\"" + (i == 0 ? " checked autofocus" : "") + "><label for=\"" +
                 id + "\">" + html_escape(v.users[i].label) + "</label></div>\n";
        }
        c += "</fieldset>\n";
    }
    // Deny needs no user: formnovalidate lets it through an empty required field.
    c += "<div class=\"buttons\">\n"
         "<button type=\"submit\" name=\"decision\" value=\"approve\" class=\"approve\">Allow access</button>\n"
         "<button type=\"submit\" name=\"decision\" value=\"deny\" class=\"deny\" formnovalidate>Deny</button>\n"
         "</div>\n</form>\n";
    return page("Authorize " + v.app_name, c);
}

std::string error_page(std::string_view title, std::string_view message) {
    return page(title, "<h1>" + html_escape(title) + "</h1>\n<p class=\"error\" id=\"message\">" + html_escape(message) +
                           "</p>\n<p class=\"small\">You have not been redirected anywhere.</p>\n");
}

std::string relink_page(std::string_view profile_name, std::string_view provider, std::string_view action, bool done) {
    std::string c = "<h1>" + std::string(done ? "Reconnected " : "Reconnect ") + html_escape(profile_name) + "</h1>\n";
    if (done) {
        c += "<p>The " + html_escape(provider) + " account is connected again. You can close this page.</p>\n";
    } else {
        c += "<p>The " + html_escape(provider) + " account <strong>" + html_escape(profile_name) +
             "</strong> needs to be connected again.</p>\n<form method=\"post\" action=\"" + html_escape(action) +
             "\">\n<div class=\"buttons\"><button type=\"submit\" class=\"approve\">Reconnect</button></div>\n</form>\n";
    }
    return page("Reconnect an account", c);
}

std::string index_page(std::string_view api_url, std::string_view client_id) {
    std::string c = "<h1>calbridge sandbox</h1>\n<p>An Individual Connect intermediary for offline development.</p>\n"
                    "<ul>\n<li>API and app URL: <code>" + html_escape(api_url) + "</code></li>\n"
                    "<li>Default application: <code>" + html_escape(client_id) + "</code></li>\n"
                    "<li>Authorize: <code>GET /oauth/authorize</code>; tokens: <code>POST /oauth/token</code></li>\n"
                    "<li>Calendar API: <code>/v1/...</code>; admin API: <code>/admin/...</code> (bearer admin token)</li>\n</ul>\n";
    return page("calbridge sandbox", c);
}

Response html_response(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.headers.push_back({"Content-Type", "text/html; charset=utf-8"});
    r.headers.push_back({"Cache-Control", "no-store"});
    r.headers.push_back({"X-Frame-Options", "DENY"});
    r.headers.push_back({"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"});
    r.headers.push_back({"Referrer-Policy", "no-referrer"});
    return r;
}

}  // namespace calbridge::sandbox

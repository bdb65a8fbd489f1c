#!/usr/bin/env python3
"""Generates a C99 program that calls every function calbridge.h declares with NULL arguments.

Run by the build (tests/capi/CMakeLists.txt, add_custom_command) each time calbridge.h changes,
so a new function cannot be left out: every `CALBRIDGE_EXTERN` prototype in the header is
called, and the generator fails if it finds one it cannot read.

For each function the program makes these calls:
  * every pointer argument NULL and every number 0;
  * for each required pointer argument, that one NULL and every other a valid value (real
    handles made at start, against an unreachable loopback API so nothing leaves the machine);
  * for an `unsigned int version` argument, versions 0 and 9999 with valid pointers.
Expected: `int` functions return CALBRIDGE_EINVALID_ARGUMENT with the record naming the function
and *out reset to NULL; pointer-returning functions return NULL for a NULL handle, or non-NULL
when their comment says "Never returns NULL"; `void` functions simply do not crash.

Arguments documented as optional (NULL means "the default" or "none") are never expected to
fail when NULL: option structs by the header's convention (`const calbridge_*_options *`,
`const calbridge_events_query *`), and the ones listed in OPTIONAL below. A new optional
argument missing from that list makes the generated test fail, which is the point.

usage: gen_null_calls.py HEADER OUTPUT.c
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

# (function, parameter) pairs that may be NULL (see each function's comment in calbridge.h).
OPTIONAL = {
    ("calbridge_client_forget_account", "out_removed"),
    ("calbridge_client_exchange_code", "code_verifier"),
    ("calbridge_client_complete_authorization_with_state", "code_verifier"),
    ("calbridge_client_exchange_code_for_account", "code_verifier"),
    ("calbridge_client_exchange_code_for_account", "account"),
    ("calbridge_client_complete_authorization_with_state_for_account", "code_verifier"),
    ("calbridge_client_complete_authorization_with_state_for_account", "account"),
    ("calbridge_client_complete_authorization_for_account", "account"),
    ("calbridge_session_request", "query"),
    ("calbridge_session_request", "json_body"),
    ("calbridge_client_request", "query"),
    ("calbridge_client_request", "json_body"),
    ("calbridge_session_request_elevated_permissions", "redirect_uri"),
    ("calbridge_pages_position", "out_current"),
    ("calbridge_pages_position", "out_total"),
    # NULL: the request had no signature header (CALBRIDGE_EINVALID_SIGNATURE, not an argument error)
    ("calbridge_push_verify", "signature_header"),
    ("calbridge_push_verify", "previous_secret"),
}

# Valid values of the handle and struct types, made by the program's set-up code.
HANDLES = {
    "calbridge_client": "client",
    "calbridge_authorization": "authorization",
    "calbridge_credentials": "credentials",
    "calbridge_session": "session",
    "calbridge_pages": "pages",
    "calbridge_cancel": "cancel",
    "calbridge_call_options": "&call_options",
    "calbridge_client_options": "&client_options",
    "calbridge_authorization_options": "&authorization_options",
    "calbridge_events_query": "&events_query",
    "calbridge_channel_options": "&channel_options",
    "calbridge_token_store": "&token_store",
    "calbridge_query_param": None,  # only ever NULL (with a count of 0)
    "calbridge_calendar_permission": "calendar_permissions",
    "calbridge_store_entry": None,  # exists only inside a load callback
}
SCALAR_OUTS = {"int": "int_out", "int64_t": "int64_out", "uint64_t": "uint64_out"}


@dataclass
class Param:
    type: str  # normalised: "const char *", "calbridge_session **", "unsigned int"
    name: str

    @property
    def is_pointer(self) -> bool:
        return "*" in self.type

    @property
    def base(self) -> str:
        return self.type.replace("const ", "").replace("*", "").strip()

    @property
    def is_out(self) -> bool:
        return self.type.endswith("**")


@dataclass
class Function:
    ret: str
    name: str
    params: list[Param]
    never_null: bool


def normalise(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s*\*\s*", " *", text)
    return text.replace("* *", "**").replace(" **", " **")


def parse(header: str) -> list[Function]:
    # Preprocessor lines (the CALBRIDGE_EXTERN definition among them) are not declarations.
    lines = [line if not line.lstrip().startswith("#") else "" for line in header.splitlines()]
    text = "\n".join(lines)
    expected = len(re.findall(r"\bCALBRIDGE_EXTERN\b", text))
    pattern = re.compile(
        r"(?P<comment>/\*(?:(?!\*/).)*\*/\s*)?"
        r"\bCALBRIDGE_EXTERN\s+(?P<ret>[^;(]*?)\s*\b(?P<name>calbridge_\w+)\s*\((?P<params>[^;]*?)\)\s*;",
        re.S,
    )
    functions = []
    for m in pattern.finditer(text):
        ret = normalise(m.group("ret"))
        params_text = normalise(m.group("params"))
        if "(" in params_text:
            sys.exit(f"gen_null_calls.py: {m.group('name')}: function-pointer parameters are not handled")
        params: list[Param] = []
        if params_text != "void":
            for raw in params_text.split(","):
                pm = re.fullmatch(r"(?P<type>.*?[\s*])(?P<name>\w+)", raw.strip())
                if pm is None:
                    sys.exit(f"gen_null_calls.py: {m.group('name')}: cannot read parameter {raw!r}")
                params.append(Param(normalise(pm.group("type")), pm.group("name")))
        comment = m.group("comment") or ""
        functions.append(Function(ret, m.group("name"), params, "never returns null" in comment.lower()))
    if len(functions) != expected:
        sys.exit(f"gen_null_calls.py: found {expected} CALBRIDGE_EXTERN declarations but read {len(functions)}")
    return functions


def optional(f: Function, p: Param) -> bool:
    if (f.name, p.name) in OPTIONAL:
        return True
    return p.type.startswith("const ") and (p.base.endswith("_options") or p.base == "calbridge_events_query")


def valid_value(f: Function, p: Param, slot: str) -> str | None:
    """A valid argument for p, or None when there is none (the argument stays NULL)."""
    if p.is_out:
        return f"&{slot}"
    if p.is_pointer:
        if p.type == "const char *const *":
            return "string_array"
        if p.base == "char":
            return '"x"'
        if p.base in SCALAR_OUTS:
            return f"&{SCALAR_OUTS[p.base]}"
        if p.base == "void":
            return None
        if p.base not in HANDLES:
            sys.exit(f"gen_null_calls.py: {f.name}: no valid value known for {p.type} {p.name}")
        return HANDLES[p.base]
    return scalar_value(f, p)


def scalar_value(f: Function, p: Param) -> str:
    if p.name == "version" and p.type == "unsigned int":
        # calbridge_<thing>_init(..., version): CALBRIDGE_<THING>_VERSION
        return "CALBRIDGE_" + f.name[len("calbridge_"):-len("_init")].upper() + "_VERSION"
    if p.name == "version":
        return "1"
    return "0"


def null_value(p: Param) -> str:
    return "NULL" if p.is_pointer else "0"


def emit_call(out: list[str], f: Function, args: list[str], label: str, out_slots: list[str],
              expect_invalid: bool) -> None:
    call = f"{f.name}({', '.join(args)})"
    out.append(f"    /* {label} */")
    for slot in out_slots:
        out.append(f"    {slot} = SENTINEL;")
    if f.ret == "void":
        out.append(f"    {call};")
        out.append("    ++calls;")
    elif f.ret == "int" and expect_invalid:
        out.append(f'    expect_invalid(\"{f.name}\", \"{label}\", {call});')
        for slot in out_slots:
            out.append(f'    expect_reset(\"{f.name}\", \"{label}\", {slot} == NULL);')
    elif f.ret.endswith("*"):
        want = "!= NULL" if f.never_null else "== NULL"
        out.append(f'    expect_pointer(\"{f.name}\", \"{label}\", ({call}) {want});')
    else:
        out.append(f"    (void){call};")
        out.append("    ++calls;")


def generate(functions: list[Function]) -> str:
    body: list[str] = []
    slot_decls: set[str] = set()
    for f in functions:
        body.append(f"    /* ---- {f.name} ---- */")
        slots = {}
        for p in f.params:
            if p.is_out:
                slot = f"out_{p.base}"
                slots[p.name] = slot
                slot_decls.add(f"    {p.base} *{slot} = NULL;")
        # 1. Everything NULL or 0.
        args = [null_value(p) for p in f.params]
        expect_invalid = f.ret == "int"
        emit_call(body, f, args, "all NULL", [], expect_invalid)
        # 2. One required pointer NULL, the others valid.
        for i, p in enumerate(f.params):
            if not p.is_pointer or optional(f, p):
                continue
            args = []
            out_slots = []
            possible = True
            for j, q in enumerate(f.params):
                if j == i:
                    args.append("NULL")
                    continue
                value = valid_value(f, q, slots.get(q.name, ""))
                args.append(value if value is not None else "NULL")
                if q.is_out:
                    out_slots.append(slots[q.name])
            if len([p for p in f.params if p.is_pointer]) <= 1:
                possible = False  # the all-NULL call above was this one
            if possible and f.ret == "int":
                emit_call(body, f, args, f"{p.name} NULL, the rest valid", out_slots, True)
        # 3. Unsupported versions of an options struct.
        for i, p in enumerate(f.params):
            if p.name == "version" and p.type == "unsigned int":
                for bad in ("0", "9999"):
                    args = [valid_value(f, q, slots.get(q.name, "")) or "NULL" for q in f.params]
                    args[i] = bad
                    emit_call(body, f, args, f"version {bad}", [], True)
        body.append("")
    names = "\n".join(f'    "{f.name}",' for f in functions)
    for decl in sorted(slot_decls):
        body.append(f"    (void){decl.split('*')[1].split(' ')[0]};")
    return TEMPLATE.replace("@SLOTS@", "\n".join(sorted(slot_decls))).replace("@BODY@", "\n".join(body)).replace(
        "@COUNT@", str(len(functions))).replace("@NAMES@", names)


TEMPLATE = r"""/* Generated by tests/capi/gen_null_calls.py from calbridge.h: do not edit. */
#include <calbridge.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char sentinel_storage;
#define SENTINEL ((void *)&sentinel_storage)

static int failures;
static int calls;

static void expect_invalid(const char *function, const char *label, int rc) {
    const calbridge_error *e = calbridge_error_last();
    ++calls;
    if (rc != CALBRIDGE_EINVALID_ARGUMENT) {
        fprintf(stderr, "FAIL %s (%s): returned %d (%s: %s), want CALBRIDGE_EINVALID_ARGUMENT\n", function, label, rc,
                calbridge_error_code_name(rc), e->message);
        ++failures;
    } else if (e->code != rc || strstr(e->message, function) == NULL) {
        fprintf(stderr, "FAIL %s (%s): the last error is %d \"%s\", want it to name the function\n", function, label,
                e->code, e->message);
        ++failures;
    }
}

static void expect_reset(const char *function, const char *label, int ok) {
    if (!ok) {
        fprintf(stderr, "FAIL %s (%s): *out was not set to NULL on failure\n", function, label);
        ++failures;
    }
}

static void expect_pointer(const char *function, const char *label, int ok) {
    ++calls;
    if (!ok) {
        fprintf(stderr, "FAIL %s (%s): unexpected NULL-ness of the result\n", function, label);
        ++failures;
    }
}

static void must(int rc, const char *what) {
    if (rc != CALBRIDGE_OK) {
        fprintf(stderr, "set-up failed: %s: %d %s\n", what, rc, calbridge_error_last()->message);
        exit(2);
    }
}

static const char *const functions[] = {
@NAMES@
};

int main(void) {
    calbridge_client *client = NULL;
    calbridge_authorization *authorization = NULL;
    calbridge_credentials *credentials = NULL;
    calbridge_session *session = NULL;
    calbridge_pages *pages = NULL;
    calbridge_cancel *cancel = NULL;
    calbridge_client_options client_options = CALBRIDGE_CLIENT_OPTIONS_INIT;
    calbridge_call_options call_options = CALBRIDGE_CALL_OPTIONS_INIT;
    calbridge_authorization_options authorization_options = CALBRIDGE_AUTHORIZATION_OPTIONS_INIT;
    calbridge_events_query events_query = CALBRIDGE_EVENTS_QUERY_INIT;
    calbridge_channel_options channel_options = CALBRIDGE_CHANNEL_OPTIONS_INIT;
    calbridge_token_store token_store = CALBRIDGE_TOKEN_STORE_INIT;
    static const char *const string_array[] = {"x"};
    static const calbridge_calendar_permission calendar_permissions[] = {{"x", "x"}};
    int int_out = 0;
    int64_t int64_out = 0;
    uint64_t uint64_out = 0;
    size_t i;
@SLOTS@

    /* Nothing may leave this machine: the API is a loopback port nobody listens on. */
    client_options.api_url = "http://127.0.0.1:9";
    client_options.app_url = "http://127.0.0.1:9";
    client_options.max_retries = -1;
    must(calbridge_client_new(&client, "client-id", "client-secret", &client_options), "client");
    must(calbridge_authorization_new(&authorization, client, "http://localhost:8080/callback", "read_account", NULL),
         "authorization");
    must(calbridge_credentials_from_json(&credentials,
                                         "{\"access_token\": \"at\", \"refresh_token\": \"rt\", \"account_id\": \"acc\"}"),
         "credentials");
    must(calbridge_session_new(&session, client, "acc"), "session");
    must(calbridge_session_events(&pages, session, NULL, NULL), "pages");
    must(calbridge_cancel_new(&cancel), "cancel");

@BODY@
    calbridge_pages_free(pages);
    calbridge_session_free(session);
    calbridge_credentials_free(credentials);
    calbridge_authorization_free(authorization);
    calbridge_client_free(client);
    calbridge_cancel_free(cancel);
    (void)int_out;
    (void)string_array;
    (void)calendar_permissions;
    (void)int64_out;
    (void)uint64_out;

    for (i = 0; i < sizeof functions / sizeof functions[0]; ++i) {
        if (strncmp(functions[i], "calbridge_", 10) != 0) ++failures;
    }
    printf("%d functions, %d calls, %d failures\n", (int)(sizeof functions / sizeof functions[0]), calls, failures);
    if ((int)(sizeof functions / sizeof functions[0]) != @COUNT@) return 1;
    return failures == 0 ? 0 : 1;
}
"""


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        functions = parse(f.read())
    code = generate(functions)
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(code)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Throughput of GET /v1/calendars with wrk (Debian package "wrk"), against a fresh sandbox over
# HTTPS and then plain HTTP, with 1 and 32 keep-alive connections.
#
# Usage: sandbox/tools/wrk-calendars.sh [path/to/calbridge-sandbox]   (DURATION=10s by default)
set -euo pipefail

binary=${1:-build/dev/sandbox/calbridge-sandbox}
duration=${DURATION:-10s}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

field() { python3 -c "import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(v or '')" "$1" "$2"; }

for mode in https http; do
  ready="$work/ready-$mode.json"
  args=(--quiet --port 0 --ready-file "$ready" --ca-file "$work/ca.pem")
  [ "$mode" = http ] && args+=(--plain-http)
  "$binary" "${args[@]}" >/dev/null &
  pid=$!
  for _ in $(seq 600); do [ -f "$ready" ] && break; sleep 0.05; done
  url=$(field "$ready" api_url)
  ca=$(field "$ready" ca_file)
  admin=$(field "$ready" admin_token)
  curl_args=(-sf)
  [ -n "$ca" ] && curl_args+=(--cacert "$ca")

  # Connect the seeded user headlessly and exchange the code for an access token.
  authorize="/oauth/authorize?client_id=sandbox-client-id&redirect_uri=http://localhost:8080/callback&response_type=code&scope=list_calendars"
  redirect=$(curl "${curl_args[@]}" -H "Authorization: Bearer $admin" "$url/admin/consent" \
    -d "{\"url\": \"$authorize\", \"user\": \"ada@example.com\"}")
  code=$(python3 -c "import json,sys,urllib.parse as u; print(u.parse_qs(u.urlsplit(json.loads(sys.argv[1])['redirect']).query)['code'][0])" "$redirect")
  token=$(curl "${curl_args[@]}" "$url/oauth/token" \
    -d "client_id=sandbox-client-id&client_secret=sandbox-client-secret-change-me&grant_type=authorization_code&code=$code&redirect_uri=http://localhost:8080/callback" |
    python3 -c "import json,sys; print(json.load(sys.stdin)['access_token'])")

  for connections in 1 32; do
    threads=$(( connections > 1 ? 2 : 1 ))
    echo "== $mode, $connections connection(s)"
    wrk -t"$threads" -c"$connections" -d"$duration" --latency -H "Authorization: Bearer $token" "$url/v1/calendars" |
      grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx|Socket errors" || true
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  pid=
done

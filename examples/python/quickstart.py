"""The connect flow in a dozen lines, against the bundled sandbox (no account needed).

    python examples/python/quickstart.py

With a real application, make the client with your id and secret instead
(``calbridge.Client(client_id, client_secret, data_center="de")``), send the user to
``auth.url``, and pass the URL they come back to into ``complete_authorization``.
"""

from __future__ import annotations

from datetime import date, timedelta

import calbridge
from calbridge.sandbox import Sandbox


def main() -> None:
    with Sandbox.start() as sandbox:
        client = sandbox.client()

        auth = client.authorization_url(sandbox.redirect_uri, "read_account list_calendars read_events", pkce=True)
        callback_url = sandbox.consent(auth.url)  # what the user's browser comes back with
        credentials = client.complete_authorization(callback_url, auth)
        print("connected:", credentials)

        session = client.session(credentials)
        for calendar in session.calendars():
            print("calendar:", calendar.calendar_name)
        week = session.events(from_=date.today(), to=date.today() + timedelta(days=7))
        for event in week:
            print("event:", event.start, event.summary)  # an aware datetime, or a date (all-day)

        try:
            session.request("GET", "/v1/not-a-thing")
        except calbridge.NotFoundError as e:
            print("typed error:", type(e).__name__, e.http_status)


if __name__ == "__main__":
    main()

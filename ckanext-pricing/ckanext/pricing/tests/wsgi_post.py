"""POST one body to the portal many times from a process of its own, through the WSGI
app built exactly as in production (not CKAN's test app, which relaxes CSRF checks):
``python wsgi_post.py <ckan.ini> <path> <body file> <headers as JSON> <times> [user password]``.
With a user and password, it first logs in through the login form, as a browser does, so
that the posts carry a session cookie (CKAN checks CSRF tokens only on such requests).

Prints ``ready``, waits for a line on stdin (so that several processes start together),
posts, then prints the status codes as JSON.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    ini, path, body_file, headers, times = sys.argv[1:6]
    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    from werkzeug.test import Client

    client = Client(make_app(load_config(ini)))
    if len(sys.argv) > 7:
        login = client.post("/user/login", data={"login": sys.argv[6], "password": sys.argv[7]})
        assert login.status_code == 302, login.status_code
    with open(body_file, "rb") as f:
        body = f.read()
    print("ready", flush=True)
    sys.stdin.readline()
    statuses = [
        client.post(path, data=body, headers=json.loads(headers)).status_code
        for _ in range(int(times))
    ]
    print(json.dumps(statuses), flush=True)


if __name__ == "__main__":
    main()

"""The pages as HTTP (no browser needed): cookies are Secure when the request came over https (here:
through a TLS proxy on 127.0.0.1 that says so in X-Forwarded-Proto, which uvicorn trusts from there),
every page carries the no-cache and no-framing headers, and none of the pages is in the OpenAPI
document the API is fuzzed by.
"""

from __future__ import annotations

import re

import httpx

from tests.web.conftest import PASSWORD, Site

BEHIND_TLS = {"X-Forwarded-Proto": "https"}


def _sign_in(site: Site, client: httpx.Client) -> httpx.Response:
    """Sign in as web-zc; the sign-in form's cookie is sent back by hand (a Secure cookie is not sent
    over the plain http the test client really uses).
    """
    form = client.get("/inloggen")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    cookie = form.headers["set-cookie"].split(";")[0]
    return client.post("/inloggen", headers={"Cookie": cookie},
                       data={"gebruikersnaam": "web-zc", "wachtwoord": PASSWORD, "code": site.next_code("zc"),
                             "csrf": token.group(1)})


def _attributes(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


def test_over_https_the_session_cookie_is_secure_httponly_and_lax(site: Site) -> None:
    """The Set-Cookie of a sign-in over https has Secure, HttpOnly and SameSite=Lax (and so does the
    sign-in form's own cookie).
    """
    with httpx.Client(base_url=site.base_url, headers=BEHIND_TLS) as client:
        form = client.get("/inloggen")
        response = _sign_in(site, client)
    assert response.status_code == 303, response.text
    session = next(c for c in response.headers.get_list("set-cookie") if c.startswith("leerlingroute_sessie="))
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= _attributes(session)
    assert {"secure", "httponly", "samesite=lax"} <= _attributes(form.headers["set-cookie"])


def test_over_plain_http_on_localhost_the_cookie_is_not_secure(site: Site) -> None:
    """http://127.0.0.1 (tests, a laptop): HttpOnly and Lax, without Secure, or the browser would drop it."""
    with httpx.Client(base_url=site.base_url) as client:
        response = _sign_in(site, client)
    session = next(c for c in response.headers.get_list("set-cookie") if c.startswith("leerlingroute_sessie="))
    assert {"httponly", "samesite=lax"} <= _attributes(session)
    assert "secure" not in _attributes(session)


def test_every_page_forbids_caching_and_framing(site: Site) -> None:
    """The sign-in page and a signed-in page: Cache-Control no-store, CSP frame-ancestors 'none'."""
    with httpx.Client(base_url=site.base_url) as client:
        pages = [client.get("/inloggen")]
        session = _sign_in(site, client).headers.get_list("set-cookie")
        cookie = next(c for c in session if c.startswith("leerlingroute_sessie=")).split(";")[0]
        pages.append(client.get("/", headers={"Cookie": cookie}))
    for response in pages:
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"


def test_the_pages_are_not_in_the_openapi_document(site: Site) -> None:
    """Only API paths are documented (and fuzzed): none of /, /inloggen, /dossiers, /beheer, /static."""
    paths = set(httpx.get(f"{site.base_url}/openapi.json").json()["paths"])
    pages = ("/inloggen", "/uitloggen", "/naar-dossier", "/dossiers", "/beheer", "/static")
    assert not {p for p in paths if p == "/" or p.startswith(pages)}
    assert "/cases/{case_id}" in paths


def test_the_stylesheet_is_served_from_static(site: Site) -> None:
    """/static/leerlingroute.css is the pages' one stylesheet."""
    response = httpx.get(f"{site.base_url}/static/leerlingroute.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


def test_a_browser_asking_for_an_unknown_address_gets_the_dutch_404_page(site: Site) -> None:
    """A person's browser (Accept: text/html) gets a Dutch page; an API client still gets problem+json."""
    browser = httpx.get(f"{site.base_url}/dossiers-bestaat-niet", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.status_code == 404
    assert browser.headers["content-type"].startswith("text/html")
    assert "Deze pagina bestaat niet" in browser.text
    assert browser.headers["cache-control"] == "no-store"
    client = httpx.get(f"{site.base_url}/bestaat-niet", headers={"Accept": "application/json"})
    assert client.status_code == 404
    assert client.headers["content-type"] == "application/problem+json"

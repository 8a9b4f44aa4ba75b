"""Every page checks who asks before it runs, in this order: signed in, then the role, then (on a POST) the form's
CSRF token; a refusal stores nothing. Over real HTTP (no browser needed), for every page the app serves: the
routes are read from the app, so a page added later is checked here too, or this file says which list to put it
on.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import Engine, inspect, select, table, text
from starlette.routing import BaseRoute

from api.app import create_app
from domain.access import Principal
from infra.identity import web_sessions
from tests.web.conftest import PEOPLE, Site
from web import router as web_router

OPEN = {("GET", "/inloggen"), ("POST", "/inloggen"), ("GET", "/naar-dossier")}
"""Pages anyone may ask for: the sign-in form and its post (its own CSRF cookie), and the old address that only
redirects to the search."""
ADMIN_PAGES = "/beheer"
"""Every page under this path is the admin's."""
ROLE_PAGES = {"/werkvoorraad": ("leerplicht", "zc"), "/werklijst": ("zc", "leerplicht"),
              "/werklijst.csv": ("zc", "leerplicht")}
"""Pages of some roles besides the admin's: a person who may, and one who may not."""
REFUSED = "Formulier geweigerd"
FORBIDDEN = "Geen toegang"
SESSION_COOKIE = "leerlingroute_sessie"


def _page_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """The routes of the pages (their endpoints live in the ``web`` package), also inside included routers."""
    for route in routes:
        if isinstance(route, APIRoute) and route.endpoint.__module__.split(".")[0] == "web":
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _page_routes(inner.routes)


def _pairs(routes: Iterable[APIRoute]) -> set[tuple[str, str]]:
    return {(method, route.path) for route in routes for method in route.methods or () if method != "HEAD"}


PAGES = sorted(_pairs(_page_routes(web_router.routes)))
GETS = [path for method, path in PAGES if method == "GET" and (method, path) not in OPEN]
POSTS = [path for method, path in PAGES if method == "POST" and (method, path) not in OPEN]
ADMIN = [(method, path) for method, path in PAGES if path.startswith(ADMIN_PAGES)]


def _filled(path: str) -> str:
    """The path with every parameter filled in (an id that exists nowhere)."""
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


def _snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table: what a refused request must leave exactly as it was."""
    with engine.connect() as conn:
        return {name: sorted((tuple(row) for row in conn.execute(select(text("*")).select_from(table(name)))),
                             key=repr)
                for name in inspect(engine).get_table_names()}


def _session(site: Site, key: str) -> tuple[str, str]:
    """A new session of the person (as signing in makes one): its cookie value and its CSRF token."""
    role, scopes = PEOPLE[key]
    principal = Principal(site.people[key].user_id, role, scopes)
    session_id = web_sessions.start_session(site.service.engine, principal, site.clock())
    found = web_sessions.find_session(site.service.engine, session_id, site.clock())
    assert found is not None
    return session_id, found.csrf_token


def _client(site: Site, session_id: str | None = None) -> httpx.Client:
    cookies = {SESSION_COOKIE: session_id} if session_id else None
    return httpx.Client(base_url=site.base_url, cookies=cookies, follow_redirects=False)


def _poster(path: str) -> str:
    """Who may use the form: the admin on the admin's pages, else the zorgcoördinator."""
    return "beheerder" if path.startswith(ADMIN_PAGES) else "zc"


def _form(site: Site, path: str) -> dict[str, str]:
    """A form that stores something when it carries the right token (where one is easy to make up here)."""
    fields = {"tekst": "Mag niet bewaard worden", "notitie": "Mag niet bewaard worden"}
    if path == "/beheer/accounts":
        fields |= {"naam": f"web-nieuw-{uuid.uuid4().hex[:8]}", "rol": "zorgcoordinator", "scopes": "14PS03"}
    elif path == "/beheer/e-mail":
        fields |= {"gebruiker": site.people["swv"].user_id, "adres": f"{uuid.uuid4().hex[:8]}@example.nl",
                   "wijze": "direct"}
    return fields


def _address(site: Site, path: str) -> str:
    """The path filled in: a real case of 14PS03 for a case's forms (so a note would be stored), else unknown ids."""
    if path.startswith("/dossiers/{case_id}"):
        path = path.replace("{case_id}", site.open_opp())
    return _filled(path)


def test_every_page_the_app_serves_is_checked_here(site: Site) -> None:
    """The app's pages are exactly the web package's routes, and every page that needs no session is named."""
    served = _pairs(_page_routes(create_app(site.service, site.clock).routes))
    assert served == set(PAGES)
    assert served >= OPEN
    assert GETS
    assert POSTS
    assert ADMIN
    assert set(ROLE_PAGES) <= {path for _, path in PAGES}


@pytest.mark.parametrize("path", GETS)
def test_a_signed_out_browser_asking_for_a_page_is_sent_to_sign_in_and_back_to_the_page(
        site: Site, path: str) -> None:
    """303 to /inloggen with the page as ``volgende`` (home: no target needed), not cached, nothing stored."""
    address = _filled(path)
    before = _snapshot(site.service.engine)
    with _client(site) as client:
        answer = client.get(address)
    assert answer.status_code == 303
    expected = "/inloggen" if address == "/" else f"/inloggen?{urlencode({'volgende': address})}"
    assert answer.headers["location"] == expected
    assert answer.headers["cache-control"] == "no-store"
    assert _snapshot(site.service.engine) == before


@pytest.mark.parametrize("path", GETS)
def test_a_signed_in_browser_asking_for_a_page_is_not_sent_to_sign_in(site: Site, path: str) -> None:
    """The same request with a session is answered by the page itself (whatever the page says)."""
    session_id, _ = _session(site, _poster(path))
    with _client(site, session_id) as client:
        answer = client.get(_filled(path))
    assert not answer.headers.get("location", "").startswith("/inloggen")


@pytest.mark.parametrize("path", POSTS)
def test_a_signed_out_post_to_a_form_is_sent_to_sign_in_without_a_target_and_stores_nothing(
        site: Site, path: str) -> None:
    """Signed in is checked first: no token at all still gets the sign-in redirect (no 'volgende' for a POST)."""
    address, form = _address(site, path), _form(site, path)
    before = _snapshot(site.service.engine)
    with _client(site) as client:
        answer = client.post(address, data=form)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/inloggen"
    assert _snapshot(site.service.engine) == before


@pytest.mark.parametrize("given", ["missing", "wrong", "another session's"])
@pytest.mark.parametrize("path", POSTS)
def test_a_post_to_a_form_without_the_sessions_csrf_token_is_refused_and_stores_nothing(
        site: Site, path: str, given: str) -> None:
    """403 with the refused-form page; not a row changes (no audit row either), and the session still works."""
    session_id, _ = _session(site, _poster(path))
    form = _form(site, path)
    if given == "wrong":
        form["csrf"] = "x" * 43
    elif given == "another session's":
        form["csrf"] = _session(site, _poster(path))[1]
    address = _address(site, path)
    before = _snapshot(site.service.engine)
    with _client(site, session_id) as client:
        answer = client.post(address, data=form)
        assert answer.status_code == 403
        assert REFUSED in answer.text
        assert _snapshot(site.service.engine) == before
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("path", POSTS)
def test_the_same_post_with_the_sessions_csrf_token_gets_past_the_check(site: Site, path: str) -> None:
    """With the token the page itself answers; where the form above stores something, it now does."""
    session_id, token = _session(site, _poster(path))
    address, form = _address(site, path), _form(site, path)
    before = _snapshot(site.service.engine)
    with _client(site, session_id) as client:
        answer = client.post(address, data=form | {"csrf": token})
    assert REFUSED not in answer.text
    assert answer.headers.get("location", "") != "/inloggen"
    if path in {"/uitloggen", "/beheer/accounts", "/beheer/e-mail", "/dossiers/{case_id}/notities"}:
        assert _snapshot(site.service.engine) != before


@pytest.mark.parametrize(("method", "path"), ADMIN)
@pytest.mark.parametrize("key", ["zc", "swv", "leerplicht"])
def test_a_person_who_is_not_the_admin_gets_the_403_page_on_every_admin_page_and_it_stores_nothing(
        site: Site, key: str, method: str, path: str) -> None:
    """The role is checked before the form's token: with or without their own valid token, 403 'Geen toegang'."""
    session_id, token = _session(site, key)
    before = _snapshot(site.service.engine)
    with _client(site, session_id) as client:
        if method == "GET":
            answers = [client.get(_filled(path))]
        else:
            form = _form(site, path)
            answers = [client.post(_filled(path), data=form), client.post(_filled(path), data=form | {"csrf": token})]
    for answer in answers:
        assert answer.status_code == 403
        assert FORBIDDEN in answer.text
        assert REFUSED not in answer.text
    assert _snapshot(site.service.engine) == before


@pytest.mark.parametrize("path", [path for method, path in ADMIN if method == "GET"])
def test_the_admin_gets_every_admin_page(site: Site, path: str) -> None:
    """The admin's own pages open for the admin."""
    session_id, _ = _session(site, "beheerder")
    with _client(site, session_id) as client:
        assert client.get(_filled(path)).status_code == 200


@pytest.mark.parametrize("path", sorted(ROLE_PAGES))
def test_a_page_of_some_roles_opens_for_them_and_is_the_403_page_for_others(site: Site, path: str) -> None:
    """The caseload is leerplicht's, the worklist the school's and the SWV's: others get 'Geen toegang'."""
    allowed, other = ROLE_PAGES[path]
    for key, status in ((allowed, 200), (other, 403)):
        session_id, _ = _session(site, key)
        with _client(site, session_id) as client:
            answer = client.get(path)
        assert answer.status_code == status, key
        assert (FORBIDDEN in answer.text) is (status == 403)

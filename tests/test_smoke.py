def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_sign_in_reaches_home(auth, client):
    user = auth.login("admin")
    page = client.get("/").get_data(as_text=True)
    assert user.name in page


def test_the_favicon_is_served_with_a_long_cache(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age=604800" in response.headers["Cache-Control"]


def test_pages_link_the_icon(auth, client):
    page = client.get("/login").get_data(as_text=True)
    assert 'rel="icon" href="/favicon.svg"' in page and 'rel="icon" href="/favicon.ico"' in page
    svg = client.get("/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert "max-age=604800" in svg.headers["Cache-Control"]
    auth.login("admin")
    signed_in = client.get("/favicon.ico")
    assert signed_in.status_code == 200 and "max-age=604800" in signed_in.headers["Cache-Control"]

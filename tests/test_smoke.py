def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_sign_in_reaches_home(auth, client):
    user = auth.login("admin")
    page = client.get("/").get_data(as_text=True)
    assert user.name in page

"""A small OpenID Connect provider of our own, on loopback, for the single sign-on tests.

It serves discovery, JWKS, an authorization endpoint that signs in whoever the test says (no
login page) and a token endpoint that checks the client secret, the code (single use), the
redirect URI and the PKCE verifier, and returns an RS256 ID token signed with a key it generates.
Tests can spoil the ID token on purpose: change or drop claims (``overrides``: an expired ``exp``,
another ``nonce``), or sign it with a stranger's key under the provider's key id.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

CLIENT_ID = "facilitator-test-client"
CLIENT_SECRET = "test-client-secret-that-is-long"  # noqa: S105 - a test fixture


def new_key(kid: str = "test-key-1") -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})


class OidcProvider:
    def __init__(self) -> None:
        self.key = new_key()
        self.signing_key = self.key  # what ID tokens are signed with; a test may swap in another
        self.identity: dict[str, Any] = {}
        self.overrides: dict[str, Any] = {}  # applied to the ID token's claims last; None drops one
        self.codes: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self.discovery_url = f"{self.issuer}/.well-known/openid-configuration"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def __enter__(self) -> OidcProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def config(self, **extra: Any) -> dict[str, Any]:
        """App settings that point single sign-on at this provider."""
        return {"OIDC_DISCOVERY_URL": self.discovery_url, "OIDC_CLIENT_ID": CLIENT_ID,
                "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_DISPLAY_NAME": "Test IdP",
                "HTTP_TIMEOUT": [2, 5], **extra}

    def sign_in_as(self, email: str, *, verified: bool | None = True, **claims: Any) -> None:
        """Who the next authorization signs in, and what else their ID token says."""
        self.identity = {"sub": "sub-" + hashlib.sha256(email.encode()).hexdigest()[:16], "email": email,
                         "name": email.split("@")[0], **claims}
        if verified is not None:
            self.identity["email_verified"] = verified

    def authorize(self, location: str) -> str:
        """Follow our app's redirect to the authorization endpoint; the path and query to call back."""
        response = requests.get(location, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text
        back = urlsplit(response.headers["Location"])
        return f"{back.path}?{back.query}"

    # ------------------------------------------------------------------ endpoints

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.requests.append(request.path)
        handler = {
            "/.well-known/openid-configuration": self._discovery,
            "/jwks": self._jwks,
            "/authorize": self._authorize,
            "/token": self._token,
        }.get(request.path)
        response = handler(request) if handler else Response("not found", 404)
        return response(environ, start_response)

    @staticmethod
    def _json(data: Any, status: int = 200) -> Response:
        return Response(json.dumps(data), status, content_type="application/json")

    def _discovery(self, request: Request) -> Response:
        return self._json({
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile"],
        })

    def _jwks(self, request: Request) -> Response:
        return self._json({"keys": [self.key.as_dict(private=False)]})

    def _authorize(self, request: Request) -> Response:
        args = request.args
        if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
            return self._json({"error": "unauthorized_client"}, 400)
        if "openid" not in args.get("scope", "").split() or not args.get("state") or not args.get("nonce"):
            return self._json({"error": "invalid_request"}, 400)
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            return self._json({"error": "invalid_request", "error_description": "PKCE needed"}, 400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"redirect_uri": args["redirect_uri"], "nonce": args["nonce"],
                            "challenge": args["code_challenge"], "identity": dict(self.identity)}
        query = urlencode({"code": code, "state": args["state"]})
        return Response(status=302, headers={"Location": f"{args['redirect_uri']}?{query}"})

    def _client_ok(self, request: Request) -> bool:
        basic = request.authorization
        if basic and basic.type == "basic":
            return (basic.username, basic.password) == (CLIENT_ID, CLIENT_SECRET)
        form = request.form
        return (form.get("client_id"), form.get("client_secret")) == (CLIENT_ID, CLIENT_SECRET)

    def _token(self, request: Request) -> Response:
        form = request.form
        if request.method != "POST" or not self._client_ok(request):
            return self._json({"error": "invalid_client"}, 401)
        grant = self.codes.pop(form.get("code", ""), None)  # a code works once
        if form.get("grant_type") != "authorization_code" or grant is None:
            return self._json({"error": "invalid_grant"}, 400)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if form.get("redirect_uri") != grant["redirect_uri"] or challenge != grant["challenge"]:
            return self._json({"error": "invalid_grant"}, 400)
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                  "nonce": grant["nonce"], **grant["identity"]}
        for name, value in self.overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        header = {"alg": "RS256", "kid": self.key.kid}
        id_token = jwt.encode(header, claims, self.signing_key)
        return self._json({"access_token": secrets.token_urlsafe(24), "token_type": "Bearer",
                           "expires_in": 300, "id_token": id_token})
